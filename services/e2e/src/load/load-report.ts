// The summary of an order load as text: what was sent and answered, latency
// of the answers, and the sagas of the accepted orders.
import type { LatencySummary } from "./latency-histogram.ts";
import type { OrderLoadRun } from "./order-load.ts";

export function formatLatency(l: LatencySummary): string {
  if (l.count === 0) return "none";
  return `p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms (n=${l.count})`;
}

export function formatLoadReport(run: OrderLoadRun): string {
  const s = run.summary;
  const lines = [
    `\nsent ${s.sent} of ${s.scheduled} scheduled (${s.rate}/s ${s.arrival}, ${s.durationMs / 1000} s)${s.dropped ? `, ${s.dropped} dropped at the generator (max in flight)` : ""}`,
    `answers: ${Object.entries(s.statuses).map(([status, n]) => `${status === "0" ? "no answer" : status} x${n}`).join(", ")}`,
    `  accepted ${s.ok}, refused ${s.refused}${s.refusedWithoutRetryAfter ? ` (${s.refusedWithoutRetryAfter} WITHOUT Retry-After)` : ""}, errors ${s.errors}`,
    `latency (from when each was due): all ${formatLatency(s.latency.all)}`,
    `  accepted ${formatLatency(s.latency.ok)}`,
    `  generator send lag ${formatLatency(s.sendLag)}`,
  ];
  const saga = run.saga;
  if (saga) {
    const cancelled = Object.entries(saga.cancelled).map(([reason, n]) => `${reason} ${n}`).join(", ") || "none";
    lines.push(
      `sagas of the ${saga.accepted} accepted: confirmed ${saga.confirmed}, cancelled ${cancelled}${saga.pending ? `, STILL PENDING ${saga.pending}` : ""}${saga.missing ? `, MISSING ${saga.missing}` : ""}`,
      `  saga latency (create -> decide): ${formatLatency(saga.latency)}`,
      `  confirmed: ${formatLatency(saga.confirmedLatency)}, ${saga.confirmedPerSecond} confirmed/s`,
      `  confirmed after their deadline: ${saga.confirmedAfterDeadline}; deadline cancels, time past the deadline: ${formatLatency(saga.deadlineCancelLateness)}`,
    );
  }
  return lines.join("\n");
}
