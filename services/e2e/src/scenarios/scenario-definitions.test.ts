import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serviceNames } from "@meshmart/topology";
import { History } from "./history.ts";
import { findScenario, listScenarios, quickScenarios, scenarios, scenariosFor, targetNames } from "./scenario-definitions.ts";

export function historyWith(
  ops: Array<{ phase: "before" | "during" | "after"; status: number; orderId?: string; retryAfter?: string; key?: string; durationMs?: number; at?: number }>,
): History {
  let now = 0;
  const history = new History("test", "local", () => now++);
  let phase: "before" | "during" | "after" = "before";
  for (const [i, op] of ops.entries()) {
    if (op.phase !== phase) {
      history.mark(op.phase === "during" ? "fault-injected" : "fault-healed");
      phase = op.phase;
    }
    history.record({
      at: op.at ?? i,
      durationMs: op.durationMs ?? 1,
      phase: history.phase(),
      customerId: "c-1",
      idempotencyKey: op.key ?? `k-${i}`,
      attempt: 1,
      status: op.status,
      ...(op.orderId ? { orderId: op.orderId } : {}),
      ...(op.retryAfter ? { retryAfter: op.retryAfter } : {}),
    });
  }
  return history;
}

describe("scenario definitions", () => {
  it("has at least 20 scenarios on the local target, each name once, each saying what it breaks, proves and does where it runs", () => {
    assert.ok(scenariosFor("local").length >= 20, `${scenariosFor("local").length} local scenarios`);
    assert.equal(new Set(scenarios.map((s) => s.name)).size, scenarios.length);
    for (const scenario of scenarios) {
      assert.match(scenario.name, /^[a-z0-9-]+$/);
      assert.ok(scenario.summary.length > 20 && scenario.proves.length > 20, scenario.name);
      const on = targetNames.filter((t) => scenario.how[t]);
      assert.ok(on.length > 0, `${scenario.name} runs nowhere`);
      for (const target of targetNames) assert.ok(scenario.how[target] ?? scenario.notOn?.[target], `${scenario.name} says nothing about ${target}`);
      assert.ok(scenario.holdMs > 0 && scenario.warmupMs > 0 && scenario.cooldownMs > 0);
      assert.ok(scenario.hypothesis.during.minAccepted <= scenario.hypothesis.before.minAccepted, `${scenario.name}: the fault may not be held to more than the baseline`);
      assert.equal(findScenario(scenario.name), scenario);
    }
    assert.equal(findScenario("nope"), undefined);
  });

  it("kills every service, and two at once; restarts and kills PostgreSQL; covers every Toxiproxy toxic the issue names", () => {
    const killed = new Set(scenarios.flatMap((s) => (s.fault.kind === "process-kill" ? s.fault.services : [])));
    for (const name of serviceNames) assert.ok(killed.has(name), `no kill of ${name}`);
    assert.ok(scenarios.some((s) => s.fault.kind === "process-kill" && s.fault.services.length === 2));
    assert.deepEqual(scenarios.flatMap((s) => (s.fault.kind === "postgres-outage" ? [s.fault.mode] : [])).sort(), ["halt", "kill"]);
    const toxics = new Set(scenarios.flatMap((s) => (s.fault.kind === "toxic" || s.fault.kind === "client-retry-storm" ? [s.fault.toxic.type] : [])));
    for (const type of ["latency", "bandwidth", "timeout", "reset_peer", "slicer"]) assert.ok(toxics.has(type as never), `no ${type} toxic`);
    assert.ok(scenarios.some((s) => s.fault.kind === "edge-cut" && s.fault.edge.to === "kafka"), "no service cut off from Kafka");
    for (const mesh of ["delay", "outlier", "pool-overflow"]) assert.ok(scenarios.some((s) => s.fault.kind === "mesh" && s.fault.mesh === mesh && s.how.kind && !s.how.local), `no Kubernetes-only ${mesh}`);
  });

  it("has a quick subset of about five that run on the local target", () => {
    const quick = quickScenarios();
    assert.ok(quick.length >= 4 && quick.length <= 6, quick.map((s) => s.name).join(", "));
    for (const s of quick) assert.ok(s.how.local, s.name);
  });

  it("lists every scenario with what it does on each target, and why not where it does not run", () => {
    const listing = listScenarios();
    for (const s of scenarios) assert.match(listing, new RegExp(`^${s.name}$`, "m"));
    assert.match(listing, /kind\s+CoreV1Api\.deleteNamespacedPod/);
    assert.match(listing, /kind\s+AppsV1Api\.patchNamespacedDeploymentScale payments to 0/);
    assert.match(listing, /kind\s+AppsV1Api\.patchNamespacedStatefulSetScale kafka to 0/);
    assert.match(listing, /local\s+orders runs with SAGA_TIMEOUT_MS=3000; PUT \/admin\/faults on payments "event:PaymentRequested=stall:5000"/);
    assert.match(listing, /local\s+\(not on this target: no mesh data plane/);
    assert.match(listing, /kind\s+\(not on this target: Toxiproxy runs only/);
    assert.match(listing, /\d+ scenarios \(\d+ on local, \d+ on kind\); quick subset \(make test\): /);
  });

  it("payment-stall counts as injected only when an accepted order was cancelled by its deadline", () => {
    const effect = findScenario("payment-stall")!.effect!;
    const history = historyWith([{ phase: "during", status: 201, orderId: "o-1" }, { phase: "during", status: 201, orderId: "o-2" }]);
    const none = effect.confirm({ history, outcomes: new Map([["o-1", { status: "ORDER_STATUS_CONFIRMED", cancelReason: "CANCEL_REASON_UNSPECIFIED" }]]) });
    assert.equal(none.confirmed, false);
    const hit = effect.confirm({
      history,
      outcomes: new Map([
        ["o-1", { status: "ORDER_STATUS_CONFIRMED", cancelReason: "CANCEL_REASON_UNSPECIFIED" }],
        ["o-2", { status: "ORDER_STATUS_CANCELLED", cancelReason: "CANCEL_REASON_DEADLINE_EXCEEDED" }],
        ["o-other", { status: "ORDER_STATUS_CANCELLED", cancelReason: "CANCEL_REASON_DEADLINE_EXCEEDED" }],
      ]),
    });
    assert.equal(hit.confirmed, true);
    assert.match(hit.evidence, /1 accepted order\(s\) cancelled by the saga deadline \(e\.g\. o-2\)/);
  });

  it("catalog-errors counts as injected on a 503 during the fault, or on aborts the mesh counted", () => {
    const effect = findScenario("catalog-errors")!.effect!;
    const clean = historyWith([{ phase: "before", status: 503, retryAfter: "1" }, { phase: "during", status: 201, orderId: "o-1" }]);
    assert.equal(effect.confirm({ history: clean }).confirmed, false, "a 503 before the fault proves nothing");
    assert.equal(effect.confirm({ history: clean, observed: { confirmed: true, evidence: "7 aborts" } }).confirmed, true);
    const refused = historyWith([{ phase: "during", status: 503, retryAfter: "1" }]);
    assert.equal(effect.confirm({ history: refused }).confirmed, true);
  });

  it("catalog-past-deadline counts as injected only for answers the deadline ended, not catalog's stall", () => {
    const effect = findScenario("catalog-past-deadline")!.effect!;
    assert.equal(effect.confirm({ history: historyWith([{ phase: "during", status: 504, durationMs: 6_100 }]) }).confirmed, false, "an answer after the whole stall was not cut by the deadline");
    assert.equal(effect.confirm({ history: historyWith([{ phase: "during", status: 504, durationMs: 2_050 }]) }).confirmed, true);
  });

  it("client-retry-storm counts as injected only when copies of one key were in flight at once", () => {
    const effect = findScenario("client-retry-storm")!.effect!;
    const sequential = historyWith([
      { phase: "during", status: 201, key: "k", at: 0, durationMs: 100 },
      { phase: "during", status: 200, key: "k", at: 200, durationMs: 100 },
    ]);
    assert.equal(effect.confirm({ history: sequential }).confirmed, false);
    const parallel = historyWith([
      { phase: "during", status: 201, key: "k", at: 0, durationMs: 1_500 },
      { phase: "during", status: 200, key: "k", at: 600, durationMs: 900 },
    ]);
    assert.equal(effect.confirm({ history: parallel }).confirmed, true);
  });
});
