import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ofKind, podTemplate, synthOutput, workloads } from "../test/manifests.ts";
import { testPlatformSettings, testSettings, testSigningKey } from "../test/test-settings.ts";
import { manifestFileName, sortManifests, synthesize, toYaml } from "./synth.ts";
import { validateManifest, validationErrors } from "./validate-manifest.ts";
import { parseAllDocuments } from "yaml";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./helm-chart.ts";

const recommended = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
];

describe("synth", () => {
  it("every object validates against the Kubernetes and Istio schemas", () => {
    const manifests = synthOutput();
    assert.ok(manifests.length > 50);
    assert.deepEqual(validationErrors(manifests), []);
  });

  it("the schema check is live: a broken object fails, an unknown kind fails", () => {
    const deployment = structuredClone(ofKind("Deployment")[0]!);
    (deployment.spec as { replicas: unknown }).replicas = "two";
    assert.throws(() => validateManifest(deployment), /replicas/);
    const vs = structuredClone(ofKind("VirtualService")[0]!);
    (vs.spec as { http: { timeout: unknown }[] }).http[0]!.timeout = 3;
    assert.throws(() => validateManifest(vs), /timeout/);
    const policy = structuredClone(ofKind("AuthorizationPolicy")[1]!);
    (policy.spec as { action: string }).action = "PERMIT";
    assert.throws(() => validateManifest(policy), /action/);
    assert.throws(() => validateManifest({ apiVersion: "example.com/v1", kind: "Widget" }), /no schema/);
  });

  it("every object, and every pod template, carries the recommended labels with part-of=meshmart", () => {
    for (const m of synthOutput()) {
      for (const label of recommended) assert.ok(m.metadata.labels?.[label], `${m.kind}/${m.metadata.name} lacks ${label}`);
      assert.equal(m.metadata.labels?.["app.kubernetes.io/part-of"], "meshmart");
      assert.equal(m.metadata.labels?.["app.kubernetes.io/managed-by"], "cdk8s");
    }
    for (const w of workloads()) {
      const labels = podTemplate(w).metadata.labels;
      for (const label of recommended) assert.ok(labels[label], `${w.kind}/${w.metadata.name} pods lack ${label}`);
      assert.equal(labels["cdk8s.io/metadata.addr"], undefined, "no cdk8s-internal labels on pods");
    }
  });

  it("puts everything in the platform namespace, except the Namespace itself and the ingress JWT rule", () => {
    for (const m of synthOutput()) {
      if (m.kind === "Namespace") assert.equal(m.metadata.namespace, undefined);
      else if (m.kind === "RequestAuthentication") assert.equal(m.metadata.namespace, "istio-ingress");
      else assert.equal(m.metadata.namespace, "meshmart", `${m.kind}/${m.metadata.name}`);
    }
  });

  it("orders objects for kubectl apply: the Namespace first, workloads after their config", () => {
    const kinds = synthOutput().map((m) => m.kind);
    assert.equal(kinds[0], "Namespace");
    assert.ok(kinds.lastIndexOf("ConfigMap") < kinds.indexOf("Deployment"));
    assert.ok(kinds.lastIndexOf("ServiceAccount") < kinds.indexOf("StatefulSet"));
    assert.ok(kinds.lastIndexOf("NetworkPolicy") < kinds.indexOf("Deployment"));
    assert.deepEqual(sortManifests(synthOutput()), synthOutput());
  });

  it("is deterministic and its YAML parses back to the same objects", () => {
    const again = synthesize(testPlatformSettings);
    assert.deepEqual(again, synthOutput());
    const parsed = parseAllDocuments(toYaml(again)).map((d) => d.toJSON() as unknown);
    assert.deepEqual(parsed, again);
  });

  it("follows the settings: namespace, images, Kafka replicas", () => {
    const custom = synthesize(testSettings({ namespace: "shop", imageRepository: "registry.local/mm", imageTag: "1.2.3", kafka: { replicas: 3 } }));
    assert.deepEqual(validationErrors(custom), []);
    const deployment = custom.find((m) => m.kind === "Deployment" && m.metadata.name === "orders")!;
    assert.equal(podTemplate(deployment).spec.containers[0]!.image, "registry.local/mm/orders:1.2.3");
    assert.equal(deployment.metadata.namespace, "shop");
    const kafka = custom.find((m) => m.kind === "StatefulSet" && m.metadata.name === "kafka")!;
    assert.equal((kafka.spec as { replicas: number }).replicas, 3);
  });

  it("holds no Secret, no password and no private key", () => {
    assert.deepEqual(synthOutput().filter((m) => m.kind === "Secret").map((m) => m.metadata.name), []);
    const text = JSON.stringify(synthOutput());
    assert.ok(!text.includes(testSigningKey.privateJwk.d!), "the private key must not reach the synth");
    assert.ok(!/"(k|d)":"/.test(text), "no symmetric or private JWK member anywhere");
    for (const m of synthOutput()) {
      for (const c of (m.spec as { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } })?.template?.spec?.containers ?? []) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|SECRET/.test(e.name)) assert.equal(e.value, undefined, `${m.metadata.name}: ${e.name} must come from a Secret`);
          if (e.name === "DATABASE_URL") assert.match(e.value!, /:\$\(DATABASE_PASSWORD\)@/);
        }
      }
    }
  });

  it("with external PostgreSQL and Kafka: no StatefulSet, Job or their Services; the services point outside", () => {
    const external = synthesize(testSettings({ postgres: { external: { host: "198.18.0.1", port: 15434 } }, kafka: { external: { brokers: ["198.18.0.1:19094"] } } }));
    assert.deepEqual(validationErrors(external), []);
    assert.deepEqual(external.filter((m) => ["StatefulSet", "Job"].includes(m.kind)), []);
    assert.ok(!external.some((m) => m.kind === "Service" && ["postgres", "kafka", "postgres-headless", "kafka-headless"].includes(m.metadata.name)));
    const orders = external.find((m) => m.kind === "Deployment" && m.metadata.name === "orders")!;
    const env = podTemplate(orders).spec.containers[0]!.env!;
    assert.equal(env.find((e) => e.name === "DATABASE_URL")?.value, "postgres://orders:$(DATABASE_PASSWORD)@198.18.0.1:15434/orders");
    const config = external.find((m) => m.kind === "ConfigMap" && m.metadata.name === "orders-config")!;
    assert.equal((config["data"] as Record<string, string>).KAFKA_BROKERS, "198.18.0.1:19094");
    const policy = external.find((m) => m.kind === "NetworkPolicy" && m.metadata.name === "orders")!;
    assert.match(JSON.stringify(policy), /"cidr":"198.18.0.1\/32"/);
  });

  it("`npm run synth` (src/main.ts) writes the same objects to the output directory", () => {
    const out = mkdtempSync(join(tmpdir(), "meshmart-synth-"));
    const result = spawnSync(process.execPath, ["--import", "tsx", "cdk8s/src/main.ts", "--out", out], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, MESHMART_NAMESPACE: "", IMAGE_TAG: "", IMAGE_REPOSITORY: "", KAFKA_REPLICAS: "", EXTERNAL_POSTGRES: "", EXTERNAL_KAFKA: "", MESHMART_JWKS: testSigningKey.jwks },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /synth: \d+ objects for namespace meshmart/);
    const written = parseAllDocuments(readFileSync(join(out, manifestFileName), "utf8")).map((d) => d.toJSON() as unknown);
    assert.deepEqual(written, synthOutput());
  });
});
