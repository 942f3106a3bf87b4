import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { History } from "./history.ts";
import { hypothesis, hypothesisChecks, isLoadSensitiveBound, percentile } from "./hypothesis.ts";
import { historyWith } from "./scenario-definitions.test.ts";

const byName = (results: ReturnType<typeof hypothesisChecks>, part: string) => results.find((r) => r.name.includes(part))!;

describe("the steady-state hypothesis over a history", () => {
  it("holds for successes and 503/429 with Retry-After in every phase, a replayed key counting once", () => {
    const history = historyWith([
      { phase: "before", status: 201, orderId: "o-1" },
      { phase: "during", status: 503, retryAfter: "1", key: "k-r" },
      { phase: "during", status: 201, orderId: "o-2", key: "k-r" },
      { phase: "after", status: 200, orderId: "o-2", key: "k-r" },
      { phase: "after", status: 201, orderId: "o-3" },
    ]);
    for (const check of hypothesisChecks(history, hypothesis({}))) assert.ok(check.pass, `${check.name}: ${check.offenders.join(", ")}`);
    assert.deepEqual(history.accepted().map((o) => o.orderId), ["o-1", "o-2", "o-3"]);
  });

  it("marks exactly the accepted-share and p99 checks of each phase as load-sensitive (make test prints them)", () => {
    const history = historyWith([
      { phase: "before", status: 201, orderId: "o-1" },
      { phase: "during", status: 201, orderId: "o-2" },
      { phase: "after", status: 201, orderId: "o-3" },
    ]);
    const names = hypothesisChecks(history, hypothesis({ during: { minAccepted: 0.5, maxP99Ms: 3_000 } })).map((c) => c.name);
    const sensitive = names.filter(isLoadSensitiveBound);
    assert.equal(sensitive.length, 6, sensitive.join("\n"));
    assert.ok(sensitive.every((n) => /orders accepted|p99 latency/.test(n)));
    assert.ok(names.some((n) => /Retry-After/.test(n) && !isLoadSensitiveBound(n)), "the Retry-After checks stay asserted");
  });

  it("names every refusal without Retry-After, and each answer a phase does not allow", () => {
    const history = historyWith([
      { phase: "before", status: 201, orderId: "o-1" },
      { phase: "during", status: 503, key: "k-no-retry-after" },
      { phase: "during", status: 500, key: "k-500" },
      { phase: "during", status: 0, key: "k-timeout" },
      { phase: "after", status: 201, orderId: "o-2" },
    ]);
    const results = hypothesisChecks(history, hypothesis({}));
    assert.deepEqual(byName(results, "carries Retry-After").offenders.map((o) => o.split(" ")[0]), ["k-no-retry-after"]);
    const during = byName(results, "client during the fault: every answer");
    assert.equal(during.pass, false);
    assert.deepEqual(during.offenders.map((o) => o.split(" ")[0]), ["k-500", "k-timeout"]);
    assert.equal(byName(results, "client during the fault: at least").pass, false, "0 of 3 keys accepted");
  });

  it("allows what the scenario allows in a phase, and only there", () => {
    const history = historyWith([
      { phase: "before", status: 504, key: "k-1" },
      { phase: "during", status: 504, key: "k-2" },
    ]);
    const results = hypothesisChecks(history, hypothesis({ during: { minAccepted: 0, allowed: [{ status: 504, why: "deadline" }] } }));
    assert.equal(byName(results, "client during the fault: every answer").pass, true);
    assert.match(byName(results, "client during the fault: every answer").name, /also allowed: 504: deadline/);
    assert.equal(byName(results, "client before the fault: every answer").pass, false);
  });

  it("does not count against a phase a key only refused with a Retry-After past the end of the load (it had no chance to retry)", () => {
    let now = 0;
    const history = new History("test", "local", () => now);
    const place = (key: string, status: number, retryAfter?: string) =>
      history.record({ at: history.now(), durationMs: 10, phase: history.phase(), customerId: "c-1", idempotencyKey: key, attempt: 1, status, ...(retryAfter ? { retryAfter } : {}), ...(status === 201 ? { orderId: `o-${key}` } : {}) });
    place("k-before", 201);
    history.mark("fault-injected");
    history.mark("fault-healed");
    now = 1_000;
    place("k-after", 201);
    place("k-early", 503, "1"); // could have retried at 2.01 s, before the load stopped: it counts
    now = 4_500;
    place("k-late", 503, "1"); // its retry would have been at 5.51 s: cut off
    now = 5_000;
    history.mark("load-stopped");
    const after = byName(hypothesisChecks(history, hypothesis({ after: { minAccepted: 0.5 } })), "client after the fault: at least");
    assert.equal(after.pass, true);
    assert.match(after.summary, /^1\/2 keys accepted \(50%\); 1 more only refused with a Retry-After past the end of the load/);
  });

  it("judges keys first tried within the recovery allowance after the heal by the during bounds, and says so in the after checks' names", () => {
    let now = 0;
    const history = new History("test", "local", () => now);
    const place = (key: string, status: number) =>
      history.record({ at: history.now(), durationMs: 10, phase: history.phase(), customerId: "c-1", idempotencyKey: key, attempt: 1, status, ...(status === 201 ? { orderId: `o-${key}` } : { retryAfter: "1" }) });
    place("k-before", 201);
    history.mark("fault-injected");
    now = 1_000;
    history.mark("fault-healed");
    now = 2_000;
    place("k-recovering-1", 503); // 1 s after the heal: still recovering
    place("k-recovering-2", 503);
    now = 13_500;
    place("k-recovered", 201); // 12.5 s after the heal
    now = 20_000;
    history.mark("load-stopped");
    const strict = hypothesisChecks(history, hypothesis({ during: { minAccepted: 0 } }));
    assert.equal(byName(strict, "client after the fault: at least").pass, false, "without an allowance: 1 of 3 keys");
    const allowed = hypothesisChecks(history, hypothesis({ during: { minAccepted: 0 }, recoveryMs: 12_000 }));
    const after = byName(allowed, "client after the fault (from 12 s after the heal): at least");
    assert.equal(after.pass, true);
    assert.match(after.summary, /^1\/1 keys accepted/);
    assert.match(byName(allowed, "client during the fault: at least").summary, /^0\/2 keys accepted/);
    assert.match(byName(allowed, "client during the fault: every answer").summary, /^2 attempts: 503×2$/);
    assert.ok(isLoadSensitiveBound(after.name), "printed, not asserted, by make test like the other accepted-share bounds");
  });

  it("bounds the p99 of each phase and names the slowest attempts", () => {
    const ops = Array.from({ length: 100 }, (_, i) => ({ phase: "during" as const, status: 201, orderId: `o-${i}`, durationMs: i < 98 ? 100 : 9_000 }));
    const results = hypothesisChecks(historyWith([{ phase: "before", status: 201, orderId: "b" }, ...ops]), hypothesis({ during: { maxP99Ms: 1_000 } }));
    const p99 = byName(results, "client during the fault: p99");
    assert.equal(p99.pass, false);
    assert.match(p99.offenders[0]!, /p99 9000 ms/);
    assert.equal(percentile([5, 1, 3], 50), 3);
  });

  it("fails a history with no order at all", () => {
    const results = hypothesisChecks(historyWith([]), hypothesis({}));
    assert.equal(results.length, 1);
    assert.equal(results[0]!.pass, false);
  });
});
