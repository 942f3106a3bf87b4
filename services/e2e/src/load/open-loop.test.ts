// The open-loop generator against a system that serves one operation at a
// time (50 ms each, so 20/s at most): offered 40/s, it must keep sending at
// 40/s and report the queue that builds, measured from when each operation
// was due (a closed-loop generator would send 20/s and report 50 ms).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { arrivals, seededRandom } from "./arrivals.ts";
import { runOpenLoop, type OperationResult } from "./open-loop.ts";

/** One operation at a time, `ms` each: a system that slows down as load grows. */
function serialSystem(ms: number): () => Promise<OperationResult> {
  let queue: Promise<unknown> = Promise.resolve();
  return () => {
    const turn = queue.then(() => sleep(ms));
    queue = turn;
    return turn.then(() => ({ outcome: "ok" as const, status: 201 }));
  };
}

describe("runOpenLoop", () => {
  it("sends at the arrival rate whatever the system does, and measures latency from when each operation was due", async () => {
    const run = await runOpenLoop({ rate: 40, durationMs: 1_000, operation: serialSystem(50) });
    assert.equal(run.summary.scheduled, 40);
    assert.equal(run.summary.sent, 40);
    assert.equal(run.summary.ok, 40);
    assert.deepEqual(run.summary.statuses, { "201": 40 });
    // Due every 25 ms, whatever the answers.
    assert.deepEqual(
      run.records.map((r) => r.dueMs),
      Array.from({ length: 40 }, (_, i) => i * 25),
    );
    // The last was due at 975 ms and answered after the 39 before it (~2 s): ~1 s of queueing, not 50 ms.
    const last = run.records.at(-1)!;
    assert.ok(last.latencyMs >= 900, `the last operation's latency includes its wait in the queue (${last.latencyMs} ms)`);
    assert.ok(run.summary.latency.all.max >= 900);
    assert.ok(run.summary.latency.all.p50 >= 400, `p50 ${run.summary.latency.all.p50} ms`);
  });

  it("drops arrivals past maxInFlight and counts them, instead of slowing down", async () => {
    const run = await runOpenLoop({ rate: 40, durationMs: 500, maxInFlight: 5, operation: serialSystem(50) });
    assert.equal(run.summary.scheduled, 20);
    assert.ok(run.summary.dropped > 0, "some arrivals found 5 in flight");
    assert.equal(run.summary.sent + run.summary.dropped, 20);
    assert.equal(run.records.length, run.summary.sent);
  });

  it("counts an operation that throws as an error", async () => {
    const run = await runOpenLoop({
      rate: 20,
      durationMs: 200,
      operation: (): Promise<OperationResult> => Promise.reject(new Error("no answer")),
    });
    assert.equal(run.summary.errors, 4);
    assert.deepEqual(run.summary.statuses, { "0": 4 });
    assert.equal(run.records[0]!.result.detail, "no answer");
  });
});

describe("arrivals", () => {
  it("replays a Poisson schedule from its seed, at the given mean rate", () => {
    const a = [...arrivals(100, 60_000, "poisson", seededRandom(7))];
    const b = [...arrivals(100, 60_000, "poisson", seededRandom(7))];
    assert.deepEqual(a, b);
    assert.ok(Math.abs(a.length - 6_000) < 300, `about 6,000 arrivals in 60 s at 100/s (${a.length})`);
    assert.ok(a.every((t, i) => i === 0 || t >= a[i - 1]!));
    assert.notDeepEqual(a, [...arrivals(100, 60_000, "poisson", seededRandom(8))]);
  });
});
