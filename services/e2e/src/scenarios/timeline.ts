// A scenario's timeline, second by second: what the client sent and got
// (from the history) and what the system's gauges read (from the samples), for
// the report's charts.
import type { Operation } from "./history.ts";
import { percentile } from "./hypothesis.ts";
import type { MetricSample } from "./metrics-sampler.ts";

export interface Second {
  second: number;
  sent: number;
  accepted: number;
  /** 503/429: told to retry. */
  refused: number;
  /** Anything else: no answer, 5xx, 504, 4xx. */
  failed: number;
  p50: number;
  p99: number;
}

export function perSecond(operations: readonly Operation[]): Second[] {
  const placements = operations.filter((op) => op.op === undefined);
  const last = Math.max(0, ...placements.map((op) => Math.floor(op.at / 1000)));
  const seconds: Second[] = [];
  for (let s = 0; s <= last; s++) {
    const ops = placements.filter((op) => Math.floor(op.at / 1000) === s);
    const durations = ops.map((op) => op.durationMs);
    seconds.push({
      second: s,
      sent: ops.length,
      accepted: ops.filter((op) => op.status === 200 || op.status === 201).length,
      refused: ops.filter((op) => op.status === 503 || op.status === 429).length,
      failed: ops.filter((op) => ![200, 201, 503, 429].includes(op.status)).length,
      p50: percentile(durations, 50),
      p99: percentile(durations, 99),
    });
  }
  return seconds;
}

export interface SagaSecond {
  second: number;
  confirmed: number;
  cancelled: number;
  pending?: number;
}

/** Saga outcomes per second from the cumulative counters (a restart of orders resets them: never negative). */
export function sagaSeconds(samples: readonly MetricSample[]): SagaSecond[] {
  const out: SagaSecond[] = [];
  let prev: MetricSample | undefined;
  for (const s of samples) {
    const delta = (now?: number, before?: number) => (now === undefined ? 0 : before === undefined || now < before ? now : now - before);
    out.push({
      second: Math.round(s.at / 1000),
      confirmed: prev ? delta(s.sagasConfirmed, prev.sagasConfirmed) : 0,
      cancelled: prev ? delta(s.sagasCancelled, prev.sagasCancelled) : 0,
      ...(s.sagasPending !== undefined ? { pending: s.sagasPending } : {}),
    });
    if (s.sagasConfirmed !== undefined) prev = s;
  }
  return out;
}
