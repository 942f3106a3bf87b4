import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { memoryRateLimiter, takeRequest } from "./rate-limit.ts";

const decisions = async (limiter: ReturnType<typeof memoryRateLimiter>, client: string, n: number) => {
  const allowed: boolean[] = [];
  for (let i = 0; i < n; i++) allowed.push((await takeRequest(limiter, client)).allowed);
  return allowed;
};

describe("rate limit", () => {
  it("allows a burst, then refuses with the seconds left in the window", async () => {
    const limiter = memoryRateLimiter({ ratePerSecond: 1, burst: 3 });
    assert.deepEqual(await decisions(limiter, "a", 3), [true, true, true]);
    const refused = await takeRequest(limiter, "a");
    assert.equal(refused.allowed, false);
    assert.ok(!refused.allowed && refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 3, JSON.stringify(refused));
  });

  it("rounds Retry-After up for slow rates", async () => {
    const limiter = memoryRateLimiter({ ratePerSecond: 0.1, burst: 1 });
    await takeRequest(limiter, "a");
    assert.deepEqual(await takeRequest(limiter, "a"), { allowed: false, retryAfterSeconds: 10 });
  });

  it("keeps one allowance per client", async () => {
    const limiter = memoryRateLimiter({ ratePerSecond: 1, burst: 1 });
    assert.deepEqual([...(await decisions(limiter, "a", 2)), ...(await decisions(limiter, "b", 1))], [true, false, true]);
  });

  it("gives a client its burst again once its window has passed, and holds it to the rate", async () => {
    const limiter = memoryRateLimiter({ ratePerSecond: 20, burst: 4 }); // windows of 200 ms
    assert.deepEqual(await decisions(limiter, "a", 5), [true, true, true, true, false]);
    await sleep(250);
    assert.deepEqual(await decisions(limiter, "a", 5), [true, true, true, true, false]);
  });

  it("refuses a rate that is not positive", () => {
    assert.throws(() => memoryRateLimiter({ ratePerSecond: 0, burst: 1 }), /ratePerSecond/);
  });
});
