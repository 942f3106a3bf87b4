// The Helm chart renders the same objects as the synth: checked without helm
// (the committed files are what the generator writes, and rendering their
// expressions gives the matching synth, for every placement of PostgreSQL and
// Kafka), and with `helm lint` + `helm template` (scripts/tools/ensure-tool.sh
// builds helm from the Go module proxy). Its Secrets are generated at install
// time and checked on their own.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { serviceNames, services } from "@meshmart/topology";
import { assertSameManifests, synthOutput, type Manifest } from "../test/manifests.ts";
import { testSettings, testSigningKey } from "../test/test-settings.ts";
import { ensureTool, runTool } from "../test/tools.ts";
import { chartDir, defaultChartValues, offlineChecksum, readChartDir, renderChartFiles, renderTemplatesOffline, type ChartValues } from "./helm-chart.ts";
import { synthesize, sortManifests } from "./synth.ts";
import { validationErrors } from "./validate-manifest.ts";

const managedBy = "app.kubernetes.io/managed-by";
const values: ChartValues = { ...defaultChartValues, jwt: { jwks: testSigningKey.jwks } };
const externalValues: ChartValues = {
  ...values,
  postgres: { external: { enabled: true, host: "db.example", port: 6432, cidr: "203.0.113.0/24" } },
  kafka: { external: { enabled: true, brokers: "k1.example:9093", port: 9093, cidr: "203.0.113.0/24" } },
};
const externalSynth = () =>
  synthesize(
    testSettings({
      postgres: { external: { host: "db.example", port: 6432, cidr: "203.0.113.0/24" } },
      kafka: { external: { brokers: ["k1.example:9093"], cidr: "203.0.113.0/24" } },
    }),
  );

/** The intended differences: Helm says managed-by Helm, and hashes the rendered ConfigMap into checksum/config. */
function comparable(manifests: readonly Manifest[]): Manifest[] {
  const rewrite = (labels?: Record<string, string>): void => {
    if (labels?.[managedBy] === "Helm") labels[managedBy] = "cdk8s";
  };
  return sortManifests(
    manifests.map((m) => {
      const copy = structuredClone(m);
      rewrite(copy.metadata.labels);
      const template = (copy.spec as { template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } } | undefined)?.template;
      rewrite(template?.metadata?.labels);
      if (template?.metadata?.annotations?.["checksum/config"]) template.metadata.annotations["checksum/config"] = offlineChecksum;
      return copy;
    }),
  );
}

const parse = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);

describe("charts/meshmart", () => {
  it("is up to date with the synth (run `make chart` when this fails)", () => {
    const expected = renderChartFiles();
    const actual = readChartDir();
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [path, content] of expected) assert.equal(actual.get(path), content, `${path} differs from the generator`);
  });

  it("holds no password and no key but the placeholders", () => {
    const text = [...readChartDir().values()].join("\n");
    assert.ok(!/password:\s*"?[A-Za-z0-9+/=]{16,}/i.test(text));
    assert.ok(!/"(k|d)":/.test(text));
  });

  it("renders (offline) to exactly the synth's objects, PostgreSQL and Kafka in the cluster", () => {
    assertSameManifests(comparable(renderTemplatesOffline(readChartDir(), values)), comparable(synthOutput()), "offline render vs synth");
  });

  it("renders (offline) to exactly the synth's objects, PostgreSQL and Kafka external", () => {
    assertSameManifests(comparable(renderTemplatesOffline(readChartDir(), externalValues)), comparable(externalSynth()), "offline render vs external synth");
  });

  it("renders (offline) other values consistently, and refuses to render without the issuer's keys", () => {
    const custom = { ...values, namespace: "shop", image: { repository: "reg/mm", tag: "1.0" }, createNamespace: false };
    const rendered = renderTemplatesOffline(readChartDir(), custom);
    assert.deepEqual(validationErrors(rendered), []);
    assert.ok(!rendered.some((m) => m.kind === "Namespace"));
    assert.ok(rendered.filter((m) => m.kind !== "RequestAuthentication").every((m) => m.metadata.namespace === "shop"));
    assert.ok(JSON.stringify(rendered).includes('"reg/mm/orders:1.0"'));
    assert.ok(!JSON.stringify(rendered).includes("meshmart.svc.cluster.local"));
    assert.throws(() => renderTemplatesOffline(readChartDir(), defaultChartValues), /jwt.jwks is required/);
  });

  describe("with helm", () => {
    const helm = ensureTool("helm");
    const jwksFile = join(mkdtempSync(join(tmpdir(), "meshmart-chart-")), "jwks.json");
    writeFileSync(jwksFile, testSigningKey.jwks);
    const template = (...args: string[]) => runTool(helm.path!, ["template", "meshmart", chartDir, "--set-file", `jwt.jwks=${jwksFile}`, ...args]);

    it("passes helm lint", () => {
      assert.ok(helm.path, `helm could not be built: ${helm.reason}`);
      const result = runTool(helm.path, ["lint", chartDir, "--set-file", `jwt.jwks=${jwksFile}`]);
      assert.equal(result.status, 0, result.stdout + result.stderr);
    });

    it("helm template renders exactly the synth's objects, plus the Secrets it generates", () => {
      assert.ok(helm.path, `helm could not be built: ${helm.reason}`);
      const result = template();
      assert.equal(result.status, 0, result.stderr);
      const rendered = parse(result.stdout);
      const secrets = rendered.filter((m) => m.kind === "Secret");
      assertSameManifests(comparable(rendered.filter((m) => m.kind !== "Secret")), comparable(synthOutput()), "helm template vs synth");
      const databases = serviceNames.filter((name) => services[name].database).map((name) => `${name}-database`);
      assert.deepEqual(secrets.map((s) => s.metadata.name).sort(), [...databases, "postgres-credentials"].sort());
      for (const secret of secrets) {
        const data = Object.values(secret["data"] as Record<string, string>).map((v) => Buffer.from(v, "base64").toString("utf8"));
        assert.ok(data.length === 1 && /^[A-Za-z0-9]{32}$/.test(data[0]!), `${secret.metadata.name}: one random 32-character password`);
      }
      const again = parse(template().stdout).filter((m) => m.kind === "Secret");
      assert.notDeepEqual(again.map((s) => s["data"]), secrets.map((s) => s["data"]), "each install generates its own");
    });

    it("helm template with external PostgreSQL and Kafka renders the external synth and no Secret", () => {
      assert.ok(helm.path, `helm could not be built: ${helm.reason}`);
      const result = template(
        "--set", "postgres.external.enabled=true", "--set", "postgres.external.host=db.example", "--set", "postgres.external.port=6432",
        "--set", "postgres.external.cidr=203.0.113.0/24", "--set", "kafka.external.enabled=true", "--set", "kafka.external.brokers=k1.example:9093",
        "--set", "kafka.external.port=9093", "--set", "kafka.external.cidr=203.0.113.0/24",
      );
      assert.equal(result.status, 0, result.stderr);
      assertSameManifests(comparable(parse(result.stdout)), comparable(externalSynth()), "helm template vs external synth");
    });

    it("helm template honours namespace, image and createNamespace values", () => {
      assert.ok(helm.path, `helm could not be built: ${helm.reason}`);
      const result = template("--set", "namespace=shop", "--set", "image.repository=reg/mm", "--set", "image.tag=1.0", "--set", "createNamespace=false");
      assert.equal(result.status, 0, result.stderr);
      const rendered = parse(result.stdout).filter((m) => m.kind !== "Secret");
      assert.deepEqual(validationErrors(rendered), []);
      const offline = renderTemplatesOffline(readChartDir(), { ...values, namespace: "shop", image: { repository: "reg/mm", tag: "1.0" }, createNamespace: false });
      assertSameManifests(comparable(rendered), comparable(offline), "helm template vs offline render (custom values)");
    });

    it("helm template leaves out the PrometheusRule and the Grafana dashboards when observability says so, and nothing else", () => {
      assert.ok(helm.path, `helm could not be built: ${helm.reason}`);
      const result = template("--set", "observability.prometheusRules=false", "--set", "observability.grafanaDashboards=false");
      assert.equal(result.status, 0, result.stderr);
      const rendered = parse(result.stdout).filter((m) => m.kind !== "Secret");
      const monitoring = (m: Manifest) => m.kind === "PrometheusRule" || (m.kind === "ConfigMap" && m.metadata.labels?.["grafana_dashboard"] !== undefined);
      assert.ok(!rendered.some(monitoring), "no monitoring object rendered");
      assertSameManifests(comparable(rendered), comparable(synthOutput().filter((m) => !monitoring(m))), "helm template (observability off) vs synth without monitoring");
      const offline = renderTemplatesOffline(readChartDir(), { ...values, observability: { prometheusRules: false, grafanaDashboards: false } });
      assertSameManifests(comparable(rendered), comparable(offline), "helm template vs offline render (observability off)");
      const rulesOnly = parse(template("--set", "observability.grafanaDashboards=false").stdout);
      assert.equal(rulesOnly.filter((m) => m.kind === "PrometheusRule").length, 1);
      assert.ok(!rulesOnly.some((m) => m.metadata.labels?.["grafana_dashboard"] !== undefined));
    });

    it("refuses to render without the token issuer's public keys, saying what to set", () => {
      assert.ok(helm.path, `helm could not be built: ${helm.reason}`);
      const result = runTool(helm.path, ["template", "x", chartDir]);
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /jwt.jwks is required/);
    });

    it("rejects values outside its schema", () => {
      assert.ok(helm.path, `helm could not be built: ${helm.reason}`);
      const result = template("--set", "imagee.tag=1");
      assert.notEqual(result.status, 0);
    });
  });
});
