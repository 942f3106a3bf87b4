// The synth and the Helm chart against a real Kubernetes API server (etcd,
// kube-apiserver, controller-manager and scheduler built from source, kwok's
// fake nodes; scripts/cluster/): every object is accepted by server-side
// apply with strict field validation, every workload becomes ready, every
// Service has endpoints, the namespace passes Pod Security "restricted";
// `helm install` does the same; `istioctl analyze` finds nothing; kube-score
// finds no critical problem that docs/kubernetes.md does not explain.
// Schema checks cannot see what these catch (two StatefulSets the API server
// rejected, Services that selected no pod).

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import type { ClusterHandle } from "@meshmart/cluster/cluster";
import { installIstioCrds, installMonitoringCrds, startApiServerCluster, stopApiServerCluster } from "@meshmart/cluster/test-cluster";
import { ensureSecrets, plannedSecrets } from "@meshmart/cluster/deploy/secrets";
import { chartDir } from "../src/helm-chart.ts";
import { toYaml, type Manifest } from "../src/synth.ts";
import { clientNodeOps } from "@meshmart/e2e/cluster/kube-ops";
import { faultedCatalogRoutes, faultedRoutes, faultRoute, faultRouteName, KindSession } from "@meshmart/e2e/scenarios/kind-target";
import { History } from "@meshmart/e2e/scenarios/history";
import { findScenario } from "@meshmart/e2e/scenarios/scenario-definitions";
import { synthOutput } from "./manifests.ts";
import { testSigningKey } from "./test-settings.ts";
import { ensureTool, repoRoot, runTool } from "./tools.ts";

const namespace = "meshmart";
const helmNamespace = "meshmart-helm";

let cluster: ClusterHandle;
let core: k8s.CoreV1Api;
let workDir: string;

function kubeClient(handle: ClusterHandle): k8s.CoreV1Api {
  const config = new k8s.KubeConfig();
  config.loadFromFile(handle.plane.kubeconfigs.admin);
  return config.makeApiClient(k8s.CoreV1Api);
}

async function waitForWorkloads(ns: string, manifests: readonly Manifest[]): Promise<void> {
  const kubectl = cluster.kubectl;
  await kubectl.ok(["-n", ns, "wait", "--for=condition=Available", "deployment", "--all", "--timeout=180s"], { timeoutMs: 200_000 });
  for (const sts of manifests.filter((m) => m.kind === "StatefulSet")) {
    await kubectl.ok(["-n", ns, "rollout", "status", `statefulset/${sts.metadata.name}`, "--timeout=180s"], { timeoutMs: 200_000 });
  }
  for (const job of manifests.filter((m) => m.kind === "Job")) {
    await kubectl.ok(["-n", ns, "wait", "--for=condition=Complete", `job/${job.metadata.name}`, "--timeout=180s"], { timeoutMs: 200_000 });
  }
}

/** Service name -> [ready endpoint addresses, pods its selector matches that are Ready]. */
async function endpointsAndPods(ns: string): Promise<Map<string, { endpoints: string[]; pods: string[] }>> {
  const result = new Map<string, { endpoints: string[]; pods: string[] }>();
  const services = (await core.listNamespacedService({ namespace: ns })).items;
  const discovery = (() => {
    const config = new k8s.KubeConfig();
    config.loadFromFile(cluster.plane.kubeconfigs.admin);
    return config.makeApiClient(k8s.DiscoveryV1Api);
  })();
  for (const service of services) {
    const name = service.metadata!.name!;
    const slices = (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${name}` })).items;
    const endpoints = slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false || service.spec?.publishNotReadyAddresses).flatMap((e) => e.addresses));
    const selector = Object.entries(service.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
    const pods = selector
      ? (await core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items
          .filter((p) => p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
          .map((p) => p.status!.podIP!)
      : [];
    result.set(name, { endpoints: endpoints.sort(), pods: pods.sort() });
  }
  return result;
}

describe("on a real API server (kwok nodes)", { timeout: 20 * 60_000 }, () => {
  before(async () => {
    cluster = await startApiServerCluster();
    core = kubeClient(cluster);
    workDir = mkdtempSync(join(tmpdir(), "meshmart-apiserver-"));
    const crds = await installIstioCrds(cluster);
    console.log(`[apiserver] ${crds} Istio CRDs from istioctl's manifests`);
    const monitoring = await installMonitoringCrds(cluster);
    console.log(`[apiserver] ${monitoring} prometheus-operator CRDs from its Go module`);
  });
  after(async () => {
    if (cluster) await stopApiServerCluster();
  });

  describe("the synth and the chart", () => {
  it("server-side applies every object of the synth with strict field validation, none rejected", async () => {
    const manifests = synthOutput();
    // The ingress gateway's namespace comes with Istio; the platform's own is in the synth.
    await cluster.kubectl.ok(["create", "namespace", "istio-ingress"]);
    const file = join(workDir, "meshmart.k8s.yaml");
    writeFileSync(file, toYaml(manifests));
    const result = await cluster.kubectl(["apply", "--server-side", "--field-manager=meshmart", "--validate=strict", "-f", file], { timeoutMs: 120_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), "", "no warning from the API server");
    const applied = result.stdout.trim().split("\n").filter((line) => line.endsWith(" serverside-applied"));
    assert.equal(applied.length, manifests.length, result.stdout);
  });

  it("creates the install-time Secrets the workloads refer to (scripts/cluster/src/deploy/secrets.ts), and keeps them on a second run", async () => {
    const logs: string[] = [];
    const first = await ensureSecrets(core, namespace, plannedSecrets(false), (l) => logs.push(l));
    const second = await ensureSecrets(core, namespace, plannedSecrets(false), (l) => logs.push(l));
    assert.deepEqual([...second], [...first]);
    for (const password of first.values()) assert.match(password, /^[A-Za-z0-9]{32}$/);
    assert.equal(logs.filter((l) => l.endsWith("created (random, 32 characters)")).length, first.size);
    const referenced = new Set(
      synthOutput()
        .flatMap((m) => JSON.stringify(m).match(/"secretKeyRef":\{"key":"[^"]+","name":"[^"]+"\}/g) ?? [])
        .map((ref) => (JSON.parse(`{${ref}}`) as { secretKeyRef: { name: string } }).secretKeyRef.name),
    );
    assert.deepEqual([...referenced].sort(), [...first.keys()].sort(), "exactly the Secrets the synth refers to");
  });

  it("brings every Deployment and StatefulSet to ready and the topic Job to complete", async () => {
    await waitForWorkloads(namespace, synthOutput());
  });

  it("gives every Service endpoints: exactly the ready pods its selector matches", async () => {
    const services = await endpointsAndPods(namespace);
    assert.equal(services.size, synthOutput().filter((m) => m.kind === "Service").length);
    for (const [name, { endpoints, pods }] of services) {
      assert.ok(endpoints.length > 0, `Service ${name} has no endpoints`);
      assert.deepEqual(endpoints, pods, `Service ${name}: its EndpointSlices list exactly its ready pods`);
    }
  });

  it("passes Pod Security restricted: the enforce label's server-side dry-run warns about no pod", async () => {
    const result = await cluster.kubectl(["label", "--dry-run=server", "--overwrite", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted"]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), "", `Pod Security warnings:\n${result.stderr}`);
  });

  it("helm install of charts/meshmart: none rejected, every workload ready, every Service with endpoints, Secrets generated", async () => {
    const helm = ensureTool("helm");
    assert.ok(helm.path, `helm could not be had: ${helm.reason}`);
    const jwks = join(workDir, "jwks.json");
    writeFileSync(jwks, testSigningKey.jwks);
    await cluster.kubectl.ok(["create", "namespace", "istio-ingress-helm"]);
    const kube = ["--kubeconfig", cluster.plane.kubeconfigs.admin, "--kube-context", cluster.profile.context];
    const result = runTool(helm.path, [
      "install", "meshmart-helm", chartDir, ...kube, "--namespace", "default",
      "--set", `namespace=${helmNamespace}`, "--set", "istio.ingressNamespace=istio-ingress-helm", "--set-file", `jwt.jwks=${jwks}`,
      "--wait", "--wait-for-jobs", "--timeout", "5m",
    ]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const manifests = synthOutput();
    await waitForWorkloads(helmNamespace, manifests);
    const services = await endpointsAndPods(helmNamespace);
    for (const [name, { endpoints, pods }] of services) {
      assert.ok(endpoints.length > 0, `Service ${name} has no endpoints`);
      assert.deepEqual(endpoints, pods, name);
    }
    const secrets = (await core.listNamespacedSecret({ namespace: helmNamespace })).items.map((s) => s.metadata!.name!).sort();
    assert.deepEqual(secrets, plannedSecrets(false).map((p) => p.name).sort());
    const passwordOf = async (ns: string) => (await core.readNamespacedSecret({ name: "orders-database", namespace: ns })).data!.password;
    const installed = await passwordOf(helmNamespace);
    const upgrade = runTool(helm.path, ["upgrade", "meshmart-helm", chartDir, ...kube, "--namespace", "default", "--reuse-values", "--wait", "--timeout", "5m"]);
    assert.equal(upgrade.status, 0, upgrade.stderr);
    assert.equal(await passwordOf(helmNamespace), installed, "an upgrade keeps the generated passwords");
  });

  it("istioctl analyze finds no error and no warning in the synth", async () => {
    const istioctl = ensureTool("istioctl");
    assert.ok(istioctl.path, `istioctl could not be had: ${istioctl.reason}`);
    const file = join(workDir, "meshmart.k8s.yaml");
    const result = runTool(istioctl.path, ["analyze", "--use-kube=false", "--all-namespaces", "--failure-threshold=Info", file]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /No validation issues found/);
  });

  it("kube-score: every CRITICAL finding is fixed or explained in docs/kubernetes.md", async () => {
    const kubeScore = ensureTool("kube-score");
    assert.ok(kubeScore.path, `kubeScore could not be had: ${kubeScore.reason}`);
    const file = join(workDir, "meshmart.k8s.yaml");
    const result = runTool(kubeScore.path, ["score", file, "--output-format", "json"]);
    const objects = JSON.parse(result.stdout) as Array<{ object_name: string; type_meta: { kind: string }; checks: Array<{ check: { id: string }; grade: number; skipped: boolean }> }>;
    const critical = objects.flatMap((o) => o.checks.filter((c) => !c.skipped && c.grade === 1).map((c) => ({ id: c.check.id, object: o.object_name })));
    const docs = readFileSync(join(repoRoot, "docs", "kubernetes.md"), "utf8");
    const explained = new Set([...docs.matchAll(/^\| `([a-z0-9-]+)` \| /gm)].map((m) => m[1]));
    const unexplained = critical.filter((c) => !explained.has(c.id));
    assert.deepEqual(unexplained, [], "CRITICAL kube-score findings that docs/kubernetes.md does not explain");
    console.log(`[apiserver] kube-score: ${critical.length} CRITICAL findings, all of checks explained in docs/kubernetes.md: ${[...new Set(critical.map((c) => c.id))].join(", ") || "none"}`);
  });
});

  describe("the scenarios' Kubernetes calls (client-node, as the kind target makes them)", () => {
    const noConnection = undefined;
    const session = (scenario = findScenario("service-kill")!) => {
      const config = new k8s.KubeConfig();
      config.loadFromFile(cluster.plane.kubeconfigs.admin);
      const ops = clientNodeOps(namespace, config);
      const forwards = { urls: {} as never, close: async () => {} };
      return new KindSession(ops, forwards, "http://unused", { dryRun: false, namespace, portOffset: 1000 }, false, (line) => console.log(`[apiserver] ${line}`), noConnection, scenario);
    };
    const context = { history: new History("apiserver", "kind"), holdMs: 0, token: async () => "" };

    it("pod-kill deletes a Ready pod with grace 0, and heals when its replacement is Ready", async () => {
      const injected = await session().inject({ kind: "process-kill", services: ["inventory"], signal: "SIGKILL", downMs: 1_000 }, context);
      assert.equal(injected.applied.confirmed, true, injected.applied.evidence);
      const healed = await injected.heal();
      assert.equal(healed.confirmed, true, healed.evidence);
    });

    it("scale-to-zero takes payments to 0 replicas and back to what it had", async () => {
      const replicas = async () => Number(await cluster.kubectl.ok(["-n", namespace, "get", "deployment", "payments", "-o", "jsonpath={.spec.replicas}"]));
      // The Deployment is created with 1 replica and its HPA raises it to minReplicas at its first sync
      // (every 15 s, metrics or not): read what it had only once the HPA has done so, or the HPA's raise
      // during the test looks like a heal that restored the wrong count.
      const minReplicas = await cluster.kubectl.ok(["-n", namespace, "get", "hpa", "payments", "-o", "jsonpath={.spec.minReplicas}"]);
      await cluster.kubectl.ok(["-n", namespace, "wait", `--for=jsonpath={.spec.replicas}=${minReplicas}`, "deployment/payments", "--timeout=90s"], { timeoutMs: 100_000 });
      await cluster.kubectl.ok(["-n", namespace, "wait", "--for=condition=Available", "deployment/payments", "--timeout=90s"], { timeoutMs: 100_000 });
      const had = await replicas();
      const injected = await session().inject({ kind: "process-kill", services: ["payments"], signal: "SIGTERM", downMs: 10_000 }, context);
      assert.equal(injected.applied.confirmed, true, injected.applied.evidence);
      const healed = await injected.heal();
      assert.equal(healed.confirmed, true, healed.evidence);
      assert.equal(await replicas(), had);
    });

    it("kafka-outage scales the Kafka StatefulSet to 0 until its pods are gone, then back to ready", async () => {
      const injected = await session().inject({ kind: "kafka-outage" }, context);
      assert.equal(injected.applied.confirmed, true, injected.applied.evidence);
      const healed = await injected.heal();
      assert.equal(healed.confirmed, true, healed.evidence);
    });

    it("payment-stall patches the env of orders and payments, rolls them out, and reverts", async () => {
      const stall = findScenario("payment-stall")!;
      const injected = await session(stall).inject(stall.fault, context);
      assert.equal(injected.applied.confirmed, true, injected.applied.evidence);
      const env = await cluster.kubectl.ok(["-n", namespace, "get", "deployment", "payments", "-o", "jsonpath={.spec.template.spec.containers[0].env}"]);
      assert.match(env, /"name":"FAULTS","value":"event:PaymentRequested=stall:5000"/);
      const healed = await injected.heal();
      assert.equal(healed.confirmed, true, healed.evidence);
      const after = await cluster.kubectl.ok(["-n", namespace, "get", "deployment", "payments", "-o", "jsonpath={.spec.template.spec.containers[0].env}"]);
      assert.doesNotMatch(after, /FAULTS/);
    });

    it("the Istio fault route is accepted by the API server (CEL rules of Istio's CRD), and without sidecars the scenario says NOT-INJECTED", async () => {
      const config = new k8s.KubeConfig();
      config.loadFromFile(cluster.plane.kubeconfigs.admin);
      const ops = clientNodeOps(namespace, config);
      const fault = { kind: "mesh-abort" as const, methods: ["ListProducts", "BatchGetProducts"], fraction: 0.3 };
      const current = await ops.getVirtualService("catalog");
      await ops.patchVirtualService("catalog", [
        { op: "test", path: "/metadata/resourceVersion", value: current.resourceVersion },
        { op: "replace", path: "/spec/http", value: faultedCatalogRoutes(current.http, fault, namespace) },
      ]);
      assert.equal((await ops.getVirtualService("catalog")).http[0]!.name, faultRouteName);
      const restored = await ops.getVirtualService("catalog");
      await ops.patchVirtualService("catalog", [{ op: "replace", path: "/spec/http", value: restored.http.filter((r) => r.name !== faultRouteName) }]);
      // The delay route of istio-delay too.
      const delay = faultedRoutes("catalog", restored.http.filter((r) => r.name !== faultRouteName), faultRoute("catalog", { delay: { ms: 2_000, percent: 50 } }, namespace), namespace);
      const again = await ops.getVirtualService("catalog");
      await ops.patchVirtualService("catalog", [{ op: "replace", path: "/spec/http", value: delay }]);
      assert.deepEqual((await ops.getVirtualService("catalog")).http[0]!.fault, { delay: { percentage: { value: 50 }, fixedDelay: "2s" } });
      await ops.patchVirtualService("catalog", [{ op: "replace", path: "/spec/http", value: again.http.filter((r) => r.name !== faultRouteName) }]);
      const injected = await session(findScenario("catalog-errors")).inject(fault, context);
      assert.equal(injected.applied.confirmed, false);
      assert.match(injected.applied.evidence, /no Istio data plane/);
      assert.ok(!(await ops.getVirtualService("catalog")).http.some((r) => r.name === faultRouteName), "nothing was changed");
    });
  });
});
