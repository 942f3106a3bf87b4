// How long the accepted orders' sagas took: from the order's create time to
// its decide time (when it left PENDING, CONFIRMED or CANCELLED), both on the
// orders database's clock, read through orders' Audit RPC. Also what the
// deadline goals ask: no order confirmed after its deadline, and how late
// after it an overdue order was cancelled.
import { setTimeout as sleep } from "node:timers/promises";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { CancelReason, OrderStatus, type OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { LatencyHistogram, type LatencySummary } from "./latency-histogram.ts";

export interface SagaTiming {
  orderId: string;
  status: "CONFIRMED" | "CANCELLED" | "PENDING" | "MISSING";
  cancelReason?: string;
  /** create -> decide, ms (absent while PENDING). */
  sagaMs?: number;
  /** decide - deadline, ms: positive when decided after the deadline. */
  pastDeadlineMs?: number;
  createdAt?: number;
  decidedAt?: number;
}

export interface SagaSummary {
  accepted: number;
  confirmed: number;
  cancelled: Record<string, number>;
  pending: number;
  missing: number;
  /** Saga latency of every decided order, and of the confirmed ones, ms. */
  latency: LatencySummary;
  confirmedLatency: LatencySummary;
  confirmedAfterDeadline: number;
  /** How long after its deadline each DEADLINE_EXCEEDED order was cancelled, ms. */
  deadlineCancelLateness: LatencySummary;
  /** Confirmed orders per second, over the span from the first create to the last decide. */
  confirmedPerSecond: number;
  histogram: string;
}

/** Reads every order through Audit and times those in `orderIds`. */
export async function readSagaTimings(orders: Client<typeof OrderService>, orderIds: Iterable<string>): Promise<SagaTiming[]> {
  const wanted = new Set(orderIds);
  const found = new Map<string, SagaTiming>();
  let pageToken = "";
  do {
    const page = await orders.audit({ pageSize: 1000, pageToken });
    for (const { order, saga } of page.orders) {
      if (!order || !wanted.has(order.id)) continue;
      const createdAt = order.createTime ? timestampDate(order.createTime).getTime() : undefined;
      const decidedAt = saga?.decideTime ? timestampDate(saga.decideTime).getTime() : undefined;
      const deadline = order.deadline ? timestampDate(order.deadline).getTime() : undefined;
      const status = order.status === OrderStatus.CONFIRMED ? "CONFIRMED" : order.status === OrderStatus.CANCELLED ? "CANCELLED" : "PENDING";
      found.set(order.id, {
        orderId: order.id,
        status,
        ...(status === "CANCELLED" ? { cancelReason: CancelReason[order.cancelReason] } : {}),
        ...(createdAt !== undefined && decidedAt !== undefined ? { sagaMs: decidedAt - createdAt } : {}),
        ...(deadline !== undefined && decidedAt !== undefined ? { pastDeadlineMs: decidedAt - deadline } : {}),
        ...(createdAt !== undefined ? { createdAt } : {}),
        ...(decidedAt !== undefined ? { decidedAt } : {}),
      });
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return [...wanted].map((orderId) => found.get(orderId) ?? { orderId, status: "MISSING" as const });
}

/** Polls until every order in `orderIds` is decided or `timeoutMs` passes; returns the last timings. */
export async function waitForSagas(
  orders: Client<typeof OrderService>,
  orderIds: string[],
  { timeoutMs = 60_000, onPoll }: { timeoutMs?: number; onPoll?: (pending: number) => void } = {},
): Promise<SagaTiming[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let timings: SagaTiming[] | undefined;
    try {
      timings = await readSagaTimings(orders, orderIds);
    } catch (err) {
      // An overloaded orders may answer a poll late or not at all: poll again until the timeout.
      const code = ConnectError.from(err).code;
      if (![Code.DeadlineExceeded, Code.Unavailable, Code.ResourceExhausted].includes(code) || Date.now() > deadline) throw err;
    }
    if (timings) {
      const pending = timings.filter((t) => t.status === "PENDING").length;
      onPoll?.(pending);
      if (pending === 0 || Date.now() > deadline) return timings;
    }
    await sleep(1_000);
  }
}

export function summarizeSagas(timings: SagaTiming[]): SagaSummary {
  const all = new LatencyHistogram();
  const confirmed = new LatencyHistogram();
  const lateness = new LatencyHistogram();
  const cancelled: Record<string, number> = {};
  let confirmedAfterDeadline = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const t of timings) {
    if (t.sagaMs !== undefined) all.record(t.sagaMs);
    if (t.createdAt !== undefined) first = Math.min(first, t.createdAt);
    if (t.decidedAt !== undefined) last = Math.max(last, t.decidedAt);
    if (t.status === "CONFIRMED") {
      if (t.sagaMs !== undefined) confirmed.record(t.sagaMs);
      if ((t.pastDeadlineMs ?? 0) > 0) confirmedAfterDeadline++;
    }
    if (t.status === "CANCELLED") {
      const reason = t.cancelReason ?? "UNSPECIFIED";
      cancelled[reason] = (cancelled[reason] ?? 0) + 1;
      if (reason === "DEADLINE_EXCEEDED" && t.pastDeadlineMs !== undefined) lateness.record(Math.max(0, t.pastDeadlineMs));
    }
  }
  const confirmedCount = timings.filter((t) => t.status === "CONFIRMED").length;
  const spanSeconds = last > first ? (last - first) / 1000 : Number.NaN;
  return {
    accepted: timings.length,
    confirmed: confirmedCount,
    cancelled,
    pending: timings.filter((t) => t.status === "PENDING").length,
    missing: timings.filter((t) => t.status === "MISSING").length,
    latency: all.summary(),
    confirmedLatency: confirmed.summary(),
    confirmedAfterDeadline,
    deadlineCancelLateness: lateness.summary(),
    confirmedPerSecond: Math.round((confirmedCount / spanSeconds) * 100) / 100,
    histogram: all.encode(),
  };
}
