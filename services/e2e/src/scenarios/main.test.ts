// The CLI as a user runs it: listing, bad usage, and the kind dry run, which
// must print its plan (every step and Kubernetes call, in order) with no
// cluster and no kubeconfig.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..", "..");
const main = path.join(import.meta.dirname, "main.ts");

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ["--disable-warning=TimeoutNegativeWarning", "--import", "tsx", main, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 60_000,
    // No cluster: a kubeconfig that does not exist, so a dry run that touched one would fail.
    env: { ...process.env, KUBECONFIG: path.join(repoRoot, ".local", "no-such-kubeconfig"), DRY_RUN: "" },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** Asserts that each pattern matches a line after the previous match; returns the matched lines. */
function assertInOrder(output: string, patterns: RegExp[]): string[] {
  const lines = output.split("\n");
  let from = 0;
  const matched: string[] = [];
  for (const pattern of patterns) {
    const index = lines.findIndex((line, i) => i >= from && pattern.test(line));
    assert.ok(index >= 0, `expected ${pattern} after line ${from} in:\n${output}`);
    matched.push(lines[index]!);
    from = index + 1;
  }
  return matched;
}

describe("scenarios CLI", () => {
  it("--list lists twenty and more scenarios, what each does per target, and the quick subset", () => {
    const { code, out } = cli("--list");
    assert.equal(code, 0);
    assertInOrder(out, [/^service-kill$/, /^orders-kill$/, /^scale-to-zero$/, /^kafka-outage$/, /^postgres-kill$/, /^relay-crash-before-mark$/, /^poison-message$/, /^net-latency$/, /^kafka-cutoff$/, /^payment-stall$/, /^catalog-errors$/, /^retrying-proxy-refunds$/, /^istio-pool-overflow$/]);
    const summary = /^(\d+) scenarios \((\d+) on local, (\d+) on kind\); quick subset \(make test\): (.+)$/m.exec(out);
    assert.ok(summary, out.slice(-500));
    assert.ok(Number(summary[2]) >= 20, `${summary[2]} local scenarios`);
  });

  it("refuses an unknown scenario or target with exit 2 and the usage", () => {
    const bad = cli("--scenario", "meteor-strike");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown scenario\(s\) meteor-strike/);
    assert.match(bad.err, /usage: make scenarios/);
    assert.equal(cli("--target", "aws").code, 2);
  });

  it("--target kind --dry-run prints every step and Kubernetes API call in order, without a cluster", () => {
    const { code, out, err } = cli("--target", "kind", "--dry-run", "--scenario", "service-kill,scale-to-zero,kafka-outage,postgres-restart,payment-stall,catalog-errors,rebalance-storm,istio-delay,net-latency");
    assert.equal(code, 0, err);
    assertInOrder(out, [
      /would listen on 127\.0\.0\.1:9083 .*PortForward\.portForward\(meshmart, <a Ready orders pod>, \[8080\]\)/,
      // service-kill
      /^\[service-kill .*inject: /,
      /CoreV1Api\.listNamespacedPod .*app\.kubernetes\.io\/name=inventory/,
      /CoreV1Api\.deleteNamespacedPod .*"gracePeriodSeconds":0/,
      /until a new inventory pod is Ready/,
      /Exec\.exec .*"pod":"kafka-0".*kafka-consumer-groups\.sh/,
      // scale-to-zero
      /^\[scale-to-zero .*AppsV1Api\.readNamespacedDeploymentScale .*"name":"payments"/,
      /AppsV1Api\.patchNamespacedDeploymentScale .*"name":"payments".*"path":"\/spec\/replicas","value":0/,
      /until payments reports status\.replicas 0/,
      /would wait 10 s \(fault in place/,
      /AppsV1Api\.patchNamespacedDeploymentScale .*"name":"payments".*"value":2/,
      // kafka-outage
      /AppsV1Api\.patchNamespacedStatefulSetScale .*"name":"kafka".*"value":0/,
      /until no kafka pod is left/,
      /AppsV1Api\.patchNamespacedStatefulSetScale .*"name":"kafka".*"value":1/,
      // postgres-restart
      /AppsV1Api\.patchNamespacedStatefulSetScale .*"name":"postgres".*"value":0/,
      /until no postgres pod is left/,
      /AppsV1Api\.patchNamespacedStatefulSetScale .*"name":"postgres".*"value":1/,
      // payment-stall
      /AppsV1Api\.patchNamespacedDeployment .*"name":"orders".*SAGA_TIMEOUT_MS.*"3000"/,
      /AppsV1Api\.patchNamespacedDeployment .*"name":"payments".*"FAULTS","value":"event:PaymentRequested=stall:5000"/,
      /until deployment payments is rolled out/,
      /AppsV1Api\.patchNamespacedDeployment .*"name":"payments".*"op":"remove"/,
      // catalog-errors
      /CustomObjectsApi\.getNamespacedCustomObject .*"plural":"virtualservices".*"name":"catalog"/,
      /CustomObjectsApi\.patchNamespacedCustomObject .*"name":"scenario-fault".*"fault":\{"abort":\{"percentage":\{"value":30\},"httpStatus":503\}\}/,
      /Exec\.exec .*"container":"istio-proxy".*stats\/prometheus/,
      /CustomObjectsApi\.patchNamespacedCustomObject .*"op":"replace","path":"\/spec\/http"/,
      // rebalance-storm
      /AppsV1Api\.patchNamespacedDeploymentScale .*"name":"inventory".*"value":4/,
      /AppsV1Api\.patchNamespacedDeploymentScale .*"name":"inventory".*"value":2/,
      // istio-delay
      /CustomObjectsApi\.patchNamespacedCustomObject .*"name":"scenario-fault".*"fault":\{"delay":\{"percentage":\{"value":50\},"fixedDelay":"2s"\}\}/,
      /^catalog-errors\s+kind\s+DRY-RUN/,
      /^net-latency\s+kind\s+DRY-RUN/,
    ]);
    // The heal of each mesh fault takes the fault route out again.
    const heal = out.split("\n").filter((line) => line.includes("patchNamespacedCustomObject")).at(-1)!;
    assert.doesNotMatch(heal, /scenario-fault/);
    assert.match(out, /\[net-latency .*this scenario has no fault on kind: Toxiproxy runs only in front of the local stack/);
    assert.doesNotMatch(out, /CONFIRMED/, "a dry run claims no confirmation");
  });

  it("--target local --dry-run prints the plan without starting anything", () => {
    const { code, out, err } = cli("--dry-run", "--scenario", "kafka-outage");
    assert.equal(code, 0, err);
    assertInOrder(out, [/would start PostgreSQL .*startKafka profile scenarios, own: true/, /would start Toxiproxy/, /would KafkaHandle\.stop\(\)/, /would KafkaHandle\.start\(\)/, /^kafka-outage\s+local\s+DRY-RUN/]);
    const net = cli("--dry-run", "--scenario", "net-slicer,poison-message");
    assert.equal(net.code, 0, net.err);
    assertInOrder(net.out, [/would POST .*\/proxies\/svc-orders\/toxics \{"type":"slicer"/, /would DELETE \/proxies\/svc-orders\/toxics\/scenario-slicer/, /would publish 5 undecodable messages/, /redrive the valid letters notifications dead-lettered/]);
  });
});
