// The steady-state hypothesis of a scenario, in the client's terms, checked
// over the recorded history: before the fault (warm-up: the system serves
// normally), during it (the bounds the fault may push the client to, and no
// further), and after the heal (service is back). The checks of the system's
// own state (healthy and at rest before, the seven invariants after, within a
// time bound) are the target's; these are what the customer saw.
import type { InvariantResult } from "../invariants.ts";
import { consumerSession } from "@meshmart/platform/events/event-bus";
import type { History, Operation, Phase } from "./history.ts";

export interface PhaseBounds {
  /** Share of idempotency keys first tried in the phase that were accepted in the end (retries with the key included). */
  minAccepted: number;
  /** p99 of the PlaceOrder attempts that started in the phase, in ms. */
  maxP99Ms: number;
  /**
   * Answers allowed besides a success or a 503/429 with Retry-After (which are
   * always allowed): 504 when the fault is a deadline, 0 (no answer) when the
   * fault is the edge itself. Each with why.
   */
  allowed?: Array<{ status: number; why: string }>;
}

export interface SteadyStateHypothesis {
  before: PhaseBounds;
  during: PhaseBounds;
  after: PhaseBounds;
  /** After the heal and the load: at rest (outboxes empty, lag 0, no saga pending) within this, then the invariants. */
  restWithinMs: number;
  /**
   * The recovery time the fault is allowed after its heal (default 0): the
   * "after" bounds apply to keys first tried from then on; keys first tried
   * in between are judged by the "during" bounds. A fault that costs a Kafka
   * consumer its group membership needs one session timeout (lostMember).
   */
  recoveryMs: number;
}

export const defaultHypothesis: SteadyStateHypothesis = {
  before: { minAccepted: 0.95, maxP99Ms: 3_000 },
  during: { minAccepted: 0.5, maxP99Ms: 15_000 },
  after: { minAccepted: 0.9, maxP99Ms: 10_000 },
  restWithinMs: 90_000,
  recoveryMs: 0,
};

/**
 * The recovery a fault needs when it costs a Kafka consumer its group membership (a
 * kill -9, a crash point, or broker connections that broke so it could not leave the
 * group): the member it was keeps its partitions until the session times out
 * (consumerSession), then the group rebalances; two seconds for that and for the
 * backlog to start draining (`recoveryMs`). Its scenarios run the load on 4 s past it
 * (`cooldownMs`), so that the "after" bounds have keys to judge.
 */
export const lostMember = {
  recoveryMs: consumerSession.sessionTimeoutMs + 2_000,
  cooldownMs: consumerSession.sessionTimeoutMs + 6_000,
} as const;

/**
 * Whether a check is one of the two client bounds that measure how loaded the
 * machine is as much as the platform (share of orders accepted, p99 latency):
 * `make test` prints those instead of asserting them (quick-suite.test.ts).
 */
export function isLoadSensitiveBound(check: string): boolean {
  return /^client .* the fault( \(from [\d.]+ s after the heal\))?: (at least \d+% of orders accepted|p99 latency at most \d+ ms)$/.test(check);
}

/** A hypothesis with some bounds changed. */
export function hypothesis(changes: {
  before?: Partial<PhaseBounds>;
  during?: Partial<PhaseBounds>;
  after?: Partial<PhaseBounds>;
  restWithinMs?: number;
  recoveryMs?: number;
}): SteadyStateHypothesis {
  return {
    before: { ...defaultHypothesis.before, ...changes.before },
    during: { ...defaultHypothesis.during, ...changes.during },
    after: { ...defaultHypothesis.after, ...changes.after },
    restWithinMs: changes.restWithinMs ?? defaultHypothesis.restWithinMs,
    recoveryMs: changes.recoveryMs ?? defaultHypothesis.recoveryMs,
  };
}

/** The phase an attempt is judged in: "after" begins `recoveryMs` after the heal (before that: "during"). */
function judgedPhase(history: History, recoveryMs: number): (op: Operation) => Phase {
  const healedAt = history.marks.find((m) => m.event === "fault-healed")?.at;
  return (op) => (op.phase === "after" && healedAt !== undefined && op.at < healedAt + recoveryMs ? "during" : op.phase);
}

const phases: Phase[] = ["before", "during", "after"];
const success = (op: Operation) => op.status === 200 || op.status === 201;
const refusal = (op: Operation) => (op.status === 503 || op.status === 429) && op.retryAfter !== undefined;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Keys by the phase of their first attempt, with whether any attempt was
 * accepted. A key that was only ever refused with a Retry-After pointing past
 * the end of the load had no chance to retry: it is counted apart (`cutOff`),
 * not as a refusal the system held on to (admission control sheds a backlog
 * that way while it drains).
 */
function keysOf(history: History, phase: Phase, phaseOf: (op: Operation) => Phase): { keys: number; accepted: number; cutOff: number } {
  const first = new Map<string, Phase>();
  const last = new Map<string, Operation>();
  const ok = new Set<string>();
  for (const op of history.placements()) {
    if (!first.has(op.idempotencyKey)) first.set(op.idempotencyKey, phaseOf(op));
    last.set(op.idempotencyKey, op);
    if (success(op)) ok.add(op.idempotencyKey);
  }
  const stoppedAt = history.marks.find((m) => m.event === "load-stopped")?.at ?? Number.POSITIVE_INFINITY;
  const cutOffByTheEnd = (key: string) => {
    const op = last.get(key)!;
    return !ok.has(key) && refusal(op) && op.at + op.durationMs + Number(op.retryAfter) * 1000 > stoppedAt;
  };
  const keys = [...first].filter(([, p]) => p === phase).map(([k]) => k);
  const counted = keys.filter((k) => !cutOffByTheEnd(k));
  return { keys: counted.length, accepted: counted.filter((k) => ok.has(k)).length, cutOff: keys.length - counted.length };
}

const describeOp = (op: Operation) =>
  `${op.idempotencyKey} attempt ${op.attempt}: ${op.status === 0 ? "no answer" : op.status} after ${op.durationMs} ms during ${op.phase}${op.detail ? ` (${op.detail})` : ""}`;

/** The client-visible checks of the hypothesis over a history; one result per phase and rule. */
export function hypothesisChecks(history: History, h: SteadyStateHypothesis): InvariantResult[] {
  const results: InvariantResult[] = [];
  const placements = history.placements();
  if (placements.length === 0) {
    return [{ name: "client: orders were placed", pass: false, offenders: ["no order was placed"], summary: "no operations" }];
  }
  // Every refusal the client is asked to retry says when.
  const bare = placements.filter((op) => (op.status === 503 || op.status === 429) && op.retryAfter === undefined);
  results.push({
    name: "client: every refusal (503/429) carries Retry-After",
    pass: bare.length === 0,
    offenders: bare.map(describeOp),
    summary: `${placements.filter((op) => op.status === 503 || op.status === 429).length} refusals`,
  });
  const phaseOf = judgedPhase(history, h.recoveryMs);
  for (const phase of phases) {
    const bounds = h[phase];
    const inPhase = (op: Operation) => phaseOf(op) === phase;
    const ops = placements.filter(inPhase);
    // "client after the fault (from 12 s after the heal)": the recovery allowance is part of the claim.
    const label = phase === "after" && h.recoveryMs > 0 ? `after the fault (from ${h.recoveryMs / 1000} s after the heal)` : `${phase} the fault`;
    if (ops.length === 0) continue;
    const allowed = new Set((bounds.allowed ?? []).map((a) => a.status));
    const bad = ops.filter((op) => !success(op) && !refusal(op) && !allowed.has(op.status) && !((op.status === 503 || op.status === 429) && op.retryAfter === undefined));
    const allowedNote = bounds.allowed?.length ? ` (also allowed: ${bounds.allowed.map((a) => `${a.status === 0 ? "no answer" : a.status}: ${a.why}`).join("; ")})` : "";
    results.push({
      name: `client ${label}: every answer is a success or a refusal with Retry-After${allowedNote}`,
      pass: bad.length === 0,
      offenders: bad.map(describeOp),
      summary: `${ops.length} attempts: ${history.summary(inPhase)}`,
    });
    const { keys, accepted, cutOff } = keysOf(history, phase, phaseOf);
    const ratio = keys === 0 ? 1 : accepted / keys;
    const cutOffNote = cutOff > 0 ? `; ${cutOff} more only refused with a Retry-After past the end of the load, not counted` : "";
    results.push({
      name: `client ${label}: at least ${Math.round(bounds.minAccepted * 100)}% of orders accepted`,
      pass: ratio >= bounds.minAccepted,
      offenders: ratio >= bounds.minAccepted ? [] : [`${accepted} of ${keys} idempotency keys accepted (${(ratio * 100).toFixed(0)}%)${cutOffNote}`],
      summary: `${accepted}/${keys} keys accepted (${(ratio * 100).toFixed(0)}%)${cutOffNote}`,
    });
    const p99 = percentile(ops.map((op) => op.durationMs), 99);
    const slow = ops.filter((op) => op.durationMs > bounds.maxP99Ms).sort((a, b) => b.durationMs - a.durationMs);
    results.push({
      name: `client ${label}: p99 latency at most ${bounds.maxP99Ms} ms`,
      pass: p99 <= bounds.maxP99Ms,
      offenders: p99 <= bounds.maxP99Ms ? [] : [`p99 ${p99} ms`, ...slow.slice(0, 20).map(describeOp)],
      summary: `p50 ${percentile(ops.map((op) => op.durationMs), 50)} ms, p99 ${p99} ms`,
    });
  }
  return results;
}
