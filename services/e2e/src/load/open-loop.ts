// The open-loop load generator: operations start at a fixed arrival rate
// (arrivals.ts) whatever the system does, so a slow system gets more requests
// in flight, never fewer sent (no coordinated omission). Each operation's
// latency is measured from the moment it was due, not from when the generator
// got round to sending it, so a late generator cannot hide a slow system
// either; how late the generator itself was is recorded apart (sendLag).
// Latencies go into HDR histograms; every operation is kept as a record for
// the checkers (accepted order ids, statuses).
import { setTimeout as sleep } from "node:timers/promises";
import { arrivals, seededRandom, type ArrivalProcess } from "./arrivals.ts";
import { LatencyHistogram, type LatencySummary } from "./latency-histogram.ts";

/** How an operation ended: accepted, refused by the system (503/429), or failed (any other error, or no answer). */
export type Outcome = "ok" | "refused" | "error";

export interface OperationResult {
  outcome: Outcome;
  /** HTTP status, or 0 for no answer. */
  status: number;
  detail?: string;
}

export interface OperationRecord<R extends OperationResult = OperationResult> {
  index: number;
  /** When it was due, ms from the start of the run. */
  dueMs: number;
  /** How late the generator sent it, ms. */
  sendLagMs: number;
  /** From due to answer, ms. */
  latencyMs: number;
  result: R;
}

export interface LoadProgress {
  elapsedMs: number;
  /** Operations started, and per second over the last interval. */
  sent: number;
  sentPerSecond: number;
  ok: number;
  refused: number;
  errors: number;
  inFlight: number;
  /** Arrivals the generator dropped because maxInFlight operations were outstanding. */
  dropped: number;
  /** Latency of every answered operation so far, ms. */
  p50: number;
  p99: number;
}

export interface OpenLoopOptions<R extends OperationResult> {
  /** Operations per second. */
  rate: number;
  durationMs: number;
  arrival?: ArrivalProcess;
  /** Seed of the Poisson schedule; random when absent. */
  seed?: number;
  /** Runs one operation; it should not throw (an exception counts as an error). */
  operation(index: number): Promise<R>;
  /**
   * Operations outstanding at most; an arrival past it is not sent and counts
   * as dropped (reported, never hidden). Protects the generator, not the system.
   */
  maxInFlight?: number;
  progressIntervalMs?: number;
  onProgress?(progress: LoadProgress): void;
  /** Ends the run early (the operations in flight still finish). */
  signal?: AbortSignal;
}

export interface LoadSummary {
  rate: number;
  arrival: ArrivalProcess;
  durationMs: number;
  /** Arrivals scheduled, sent, and dropped at the generator. */
  scheduled: number;
  sent: number;
  dropped: number;
  ok: number;
  refused: number;
  errors: number;
  /** Answers per HTTP status ("0" = no answer). */
  statuses: Record<string, number>;
  latency: { all: LatencySummary; ok: LatencySummary; refused: LatencySummary; error: LatencySummary };
  sendLag: LatencySummary;
  /** Compressed HDR histogram of every answered operation's latency (µs). */
  histogram: string;
}

export interface LoadRun<R extends OperationResult> {
  summary: LoadSummary;
  records: Array<OperationRecord<R>>;
}

export async function runOpenLoop<R extends OperationResult>(options: OpenLoopOptions<R>): Promise<LoadRun<R>> {
  const arrival = options.arrival ?? "constant";
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const maxInFlight = options.maxInFlight ?? 10_000;
  const all = new LatencyHistogram();
  const byOutcome = { ok: new LatencyHistogram(), refused: new LatencyHistogram(), error: new LatencyHistogram() };
  const sendLag = new LatencyHistogram();
  const records: Array<OperationRecord<R>> = [];
  const statuses: Record<string, number> = {};
  const counts = { sent: 0, dropped: 0, ok: 0, refused: 0, error: 0, scheduled: 0 };
  const inFlight = new Set<Promise<void>>();

  const start = performance.now();
  let lastSent = 0;
  let lastAt = start;
  const progress = (): LoadProgress => {
    const now = performance.now();
    const sentPerSecond = ((counts.sent - lastSent) * 1000) / Math.max(1, now - lastAt);
    lastSent = counts.sent;
    lastAt = now;
    return {
      elapsedMs: now - start,
      sent: counts.sent,
      sentPerSecond,
      ok: counts.ok,
      refused: counts.refused,
      errors: counts.error,
      inFlight: inFlight.size,
      dropped: counts.dropped,
      p50: all.at(50),
      p99: all.at(99),
    };
  };
  const ticker = options.onProgress ? setInterval(() => options.onProgress!(progress()), options.progressIntervalMs ?? 1_000) : undefined;

  const fire = (index: number, dueMs: number) => {
    const sentAt = performance.now();
    const lag = Math.max(0, sentAt - start - dueMs);
    sendLag.record(lag);
    counts.sent++;
    const done = (async () => {
      let result: R;
      try {
        result = await options.operation(index);
      } catch (err) {
        result = { outcome: "error", status: 0, detail: (err as Error).message } as R;
      }
      const latencyMs = performance.now() - start - dueMs;
      all.record(latencyMs);
      byOutcome[result.outcome].record(latencyMs);
      counts[result.outcome]++;
      statuses[String(result.status)] = (statuses[String(result.status)] ?? 0) + 1;
      records.push({ index, dueMs: round(dueMs), sendLagMs: round(lag), latencyMs: round(latencyMs), result });
    })();
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  try {
    let index = 0;
    for (const dueMs of arrivals(options.rate, options.durationMs, arrival, random)) {
      if (options.signal?.aborted) break;
      counts.scheduled++;
      const wait = start + dueMs - performance.now();
      if (wait > 1) await sleep(wait);
      if (inFlight.size >= maxInFlight) counts.dropped++;
      else fire(index, dueMs);
      index++;
    }
    await Promise.all(inFlight);
  } finally {
    if (ticker) clearInterval(ticker);
  }
  options.onProgress?.(progress());
  records.sort((a, b) => a.index - b.index);
  return {
    records,
    summary: {
      rate: options.rate,
      arrival,
      durationMs: options.durationMs,
      scheduled: counts.scheduled,
      sent: counts.sent,
      dropped: counts.dropped,
      ok: counts.ok,
      refused: counts.refused,
      errors: counts.error,
      statuses,
      latency: { all: all.summary(), ok: byOutcome.ok.summary(), refused: byOutcome.refused.summary(), error: byOutcome.error.summary() },
      sendLag: sendLag.summary(),
      histogram: all.encode(),
    },
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;
