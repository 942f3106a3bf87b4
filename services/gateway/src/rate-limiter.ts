// Per-client token buckets: each client may burst up to `burst` requests and
// is then held to `ratePerSecond`. Buckets live in this process only; with
// several gateway replicas a client gets that many times the rate, which is
// the usual trade for not needing shared state at the edge.

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Whole seconds until a request would be allowed (0 when allowed). */
  readonly retryAfterSeconds: number;
  /** Requests left in the bucket after this one. */
  readonly remaining: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export interface RateLimiterOptions {
  ratePerSecond: number;
  burst: number;
  /** Above this many tracked clients, idle (full) buckets are dropped. */
  maxClients?: number;
  now?: () => number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new Error("ratePerSecond must be positive");
    this.rate = options.ratePerSecond;
    this.burst = Math.max(1, options.burst);
    this.maxClients = options.maxClients ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  take(client: string): RateLimitDecision {
    const now = this.now();
    let bucket = this.buckets.get(client);
    if (!bucket) {
      if (this.buckets.size >= this.maxClients) this.sweep(now);
      bucket = { tokens: this.burst, updatedMs: now };
      this.buckets.set(client, bucket);
    } else {
      this.refill(bucket, now);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(bucket.tokens) };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate));
    return { allowed: false, retryAfterSeconds, remaining: 0 };
  }

  /** Clients currently tracked (for tests). */
  get size(): number {
    return this.buckets.size;
  }

  private refill(bucket: Bucket, now: number): void {
    const elapsedSeconds = Math.max(0, now - bucket.updatedMs) / 1000;
    bucket.tokens = Math.min(this.burst, bucket.tokens + elapsedSeconds * this.rate);
    bucket.updatedMs = now;
  }

  /** Forgets clients whose bucket has refilled: they are indistinguishable from new ones. */
  private sweep(now: number): void {
    for (const [client, bucket] of this.buckets) {
      this.refill(bucket, now);
      if (bucket.tokens >= this.burst) this.buckets.delete(client);
    }
    // Still full of active clients: drop the oldest tenth rather than grow
    // without bound (and rather than sweep again on the very next client).
    for (const client of this.buckets.keys()) {
      if (this.buckets.size < this.maxClients * 0.9) break;
      this.buckets.delete(client);
    }
  }
}
