import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { History } from "./history.ts";
import { clientChecks, findScenario, listScenarios, scenarios, targetNames } from "./scenario-definitions.ts";

const names = ["service-kill", "scale-to-zero", "kafka-outage", "payment-stall", "catalog-errors"];

function historyWith(ops: Array<{ phase: "before" | "during" | "after"; status: number; orderId?: string; retryAfter?: string; key?: string }>): History {
  let now = 0;
  const history = new History("test", "local", () => now++);
  let phase: "before" | "during" | "after" = "before";
  for (const [i, op] of ops.entries()) {
    if (op.phase !== phase) {
      history.mark(op.phase === "during" ? "fault-injected" : "fault-healed");
      phase = op.phase;
    }
    history.record({
      at: i,
      durationMs: 1,
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
  it("has the five scenarios, in order, each saying what it does on both targets", () => {
    assert.deepEqual(scenarios.map((s) => s.name), names);
    for (const scenario of scenarios) {
      for (const target of targetNames) assert.ok(scenario.how[target].length > 10, `${scenario.name} on ${target}`);
      assert.ok(scenario.holdMs > 0 && scenario.warmupMs > 0 && scenario.cooldownMs > 0);
      assert.equal(findScenario(scenario.name), scenario);
    }
    assert.equal(findScenario("nope"), undefined);
  });

  it("lists every scenario with its local and kind fault", () => {
    const listing = listScenarios();
    for (const name of names) assert.match(listing, new RegExp(`^${name}$`, "m"));
    assert.match(listing, /kind\s+CoreV1Api\.deleteNamespacedPod/);
    assert.match(listing, /kind\s+AppsV1Api\.patchNamespacedDeploymentScale payments to 0/);
    assert.match(listing, /kind\s+AppsV1Api\.patchNamespacedStatefulSetScale kafka to 0/);
    assert.match(listing, /local\s+orders runs with SAGA_TIMEOUT_MS=3000; PUT \/admin\/faults on payments "event:PaymentRequested=stall:5000"/);
    assert.match(listing, /kind\s+CustomObjectsApi\.patchNamespacedCustomObject/);
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
});

describe("clientChecks", () => {
  it("accepts successes and 503/429 with Retry-After, in every phase", () => {
    const history = historyWith([
      { phase: "before", status: 201, orderId: "o-1" },
      { phase: "during", status: 503, retryAfter: "1", key: "k-r" },
      { phase: "during", status: 201, orderId: "o-2", key: "k-r" },
      { phase: "after", status: 200, orderId: "o-2", key: "k-r" },
    ]);
    for (const check of clientChecks(history)) assert.ok(check.pass, `${check.name}: ${check.offenders.join(", ")}`);
    assert.deepEqual(history.accepted().map((o) => o.orderId), ["o-1", "o-2"], "a replayed key is one accepted order");
  });

  it("names the keys answered with an error the client cannot act on, and a phase that accepted nothing", () => {
    const history = historyWith([
      { phase: "before", status: 201, orderId: "o-1" },
      { phase: "during", status: 503, key: "k-no-retry-after" },
      { phase: "during", status: 500, key: "k-500" },
      { phase: "during", status: 0, key: "k-timeout" },
      { phase: "after", status: 201, orderId: "o-2" },
    ]);
    const [answers, progress] = clientChecks(history);
    assert.equal(answers!.pass, false);
    assert.deepEqual(
      answers!.offenders.map((o) => o.split(":")[0]),
      ["k-no-retry-after", "k-500", "k-timeout"],
    );
    assert.equal(progress!.pass, false);
    assert.match(progress!.offenders[0]!, /^during the fault: .* none accepted$/);
  });
});
