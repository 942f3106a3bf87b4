import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RateLimiter } from "./rate-limiter.ts";

describe("RateLimiter", () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it("allows a burst, then the sustained rate, and says when to retry", () => {
    const time = clock();
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3, now: time.now });
    assert.deepEqual([1, 2, 3].map(() => limiter.take("a").allowed), [true, true, true]);
    const refused = limiter.take("a");
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 1);
    time.advance(500); // one token back at 2/s
    assert.equal(limiter.take("a").allowed, true);
    assert.equal(limiter.take("a").allowed, false);
    time.advance(10_000); // refills to the burst, never beyond
    assert.deepEqual([1, 2, 3, 4].map(() => limiter.take("a").allowed), [true, true, true, false]);
  });

  it("rounds Retry-After up for slow rates", () => {
    const limiter = new RateLimiter({ ratePerSecond: 0.1, burst: 1, now: clock().now });
    limiter.take("a");
    assert.equal(limiter.take("a").retryAfterSeconds, 10);
  });

  it("keeps one bucket per client", () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, now: clock().now });
    assert.equal(limiter.take("a").allowed, true);
    assert.equal(limiter.take("a").allowed, false);
    assert.equal(limiter.take("b").allowed, true);
  });

  it("forgets idle clients instead of growing without bound", () => {
    const time = clock();
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2, maxClients: 100, now: time.now });
    for (let i = 0; i < 100; i++) limiter.take(`client-${i}`);
    time.advance(5_000); // all of them full again
    limiter.take("newcomer");
    assert.equal(limiter.size, 1);
    for (let i = 0; i < 1_000; i++) limiter.take(`busy-${i}`);
    assert.ok(limiter.size <= 100);
  });
});
