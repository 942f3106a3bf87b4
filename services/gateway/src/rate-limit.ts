// Per-client rate limits with rate-limiter-flexible. Each client (its token's
// subject, else its IP) may make `burst` requests per window of
// burst / ratePerSecond seconds, which holds it to ratePerSecond on average;
// beyond that it is answered 429 with Retry-After until its window ends.
//
// The counters live in this process (RateLimiterMemory): with several gateway
// replicas a client gets that many times the rate. A store the replicas share
// takes its place without other changes: RateLimiterRedis or
// RateLimiterPostgres with the same points and duration, and a
// RateLimiterMemory as its insuranceLimiter for when the store is away.
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

export interface RateLimitOptions {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** The in-process limiter; keys expire with their window, so idle clients cost nothing. */
export function memoryRateLimiter({ ratePerSecond, burst }: RateLimitOptions): RateLimiterAbstract {
  if (!(ratePerSecond > 0)) throw new Error("ratePerSecond must be positive");
  const points = Math.max(1, Math.floor(burst));
  return new RateLimiterMemory({ keyPrefix: "gateway", points, duration: points / ratePerSecond });
}

export type RateLimitDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Takes one request from `client`'s allowance. A store that fails throws its error (the caller's 500). */
export async function takeRequest(limiter: RateLimiterAbstract, client: string): Promise<RateLimitDecision> {
  try {
    await limiter.consume(client);
    return { allowed: true };
  } catch (err) {
    // The library rejects with its result when the allowance is used up, and with an Error when the store fails.
    if (!(err instanceof RateLimiterRes)) throw err;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
  }
}
