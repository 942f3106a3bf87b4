// The coalescing committer as plain code: no broker, a commit function that
// records what it was given and fails when told to.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { OffsetCommitter, type PartitionOffset } from "./offset-committer.ts";

function recorder() {
  const calls: PartitionOffset[][] = [];
  let failuresLeft = 0;
  let release: (() => void) | undefined;
  let inFlight = 0;
  let mostInFlight = 0;
  return {
    calls,
    get mostInFlight() {
      return mostInFlight;
    },
    failNext(n: number) {
      failuresLeft = n;
    },
    /** Holds every commit until released. */
    hold() {
      const gate = new Promise<void>((resolve) => (release = resolve));
      return { gate, release: () => release?.() };
    },
    commit: (gate?: Promise<void>) => async (offsets: PartitionOffset[]) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      calls.push(offsets);
      try {
        await gate;
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error("COORDINATOR_LOAD_IN_PROGRESS");
        }
      } finally {
        inFlight--;
      }
    },
  };
}

const at = (partition: number, offset: number): PartitionOffset => ({ topic: "t", partition, offset: String(offset) });

describe("OffsetCommitter", () => {
  it("sends one commit at a time, and what was offered meanwhile goes in the next one, newest offset per partition", async () => {
    const r = recorder();
    const held = r.hold();
    const committer = new OffsetCommitter({ commit: r.commit(held.gate) });
    committer.offer(at(0, 1));
    committer.offer(at(0, 2)); // while the first is in flight
    committer.offer(at(1, 7));
    committer.offer(at(0, 3));
    held.release();
    await committer.close();
    assert.equal(r.mostInFlight, 1);
    assert.deepEqual(r.calls, [[at(0, 1)], [at(0, 3), at(1, 7)]]);
  });

  it("tries a failed commit again by itself, with the newest offsets, until it succeeds, and says so once each way", async () => {
    const r = recorder();
    r.failNext(2);
    const told: string[] = [];
    const committer = new OffsetCommitter({
      commit: r.commit(),
      retryDelayMs: 20,
      onFailing: (err) => told.push(`failing: ${err.message}`),
      onRecovered: () => told.push("recovered"),
    });
    committer.offer(at(0, 5));
    await sleep(5);
    committer.offer(at(0, 6)); // replaces 5 while the retry waits
    for (let i = 0; i < 50 && committer.pending > 0; i++) await sleep(10);
    await committer.close();
    assert.equal(committer.pending, 0, "nothing left uncommitted, with no further offer to trigger it");
    assert.deepEqual(r.calls.at(-1), [at(0, 6)]);
    assert.ok(r.calls.length >= 3, `two failures, then a success: ${r.calls.length} calls`);
    assert.deepEqual(told, ["failing: COORDINATOR_LOAD_IN_PROGRESS", "recovered"]);
  });

  it("forgets what waits when the group is rejoined, also what a commit in flight fails to write", async () => {
    const r = recorder();
    const held = r.hold();
    r.failNext(1);
    const committer = new OffsetCommitter({ commit: r.commit(held.gate), retryDelayMs: 10 });
    committer.offer(at(0, 9));
    committer.reset(); // rejoined while the commit of 9 is in flight
    held.release();
    await sleep(50);
    assert.equal(committer.pending, 0, "the failed commit put nothing back");
    assert.equal(r.calls.length, 1, "and nothing was tried again");
    await committer.close();
  });

  it("drops an offer from before a rejoin (a batch fetched in the old generation)", async () => {
    const r = recorder();
    const committer = new OffsetCommitter({ commit: r.commit() });
    const epoch = committer.epoch;
    committer.reset();
    committer.offer(at(0, 3), epoch);
    committer.offer(at(1, 4), committer.epoch);
    await committer.close();
    assert.deepEqual(r.calls, [[at(1, 4)]]);
  });

  it("commits what waits when closed, and accepts nothing after", async () => {
    const r = recorder();
    const committer = new OffsetCommitter({ commit: r.commit() });
    committer.offer(at(2, 4));
    await committer.close();
    committer.offer(at(2, 5));
    await sleep(10);
    assert.deepEqual(r.calls, [[at(2, 4)]]);
  });
});
