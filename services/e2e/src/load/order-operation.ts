// One operation of the order load: POST /api/v1/orders through the gateway
// with a fresh Idempotency-Key, as one of a set of customers, for one to
// three products. No retries: an open-loop generator measures what the
// system answers to each arrival (a refused order is a refusal, and a retry
// would be a new arrival the schedule did not make).
import { randomUUID } from "node:crypto";
import { GatewayShopper } from "../gateway-shopper.ts";
import type { AcceptedOrder } from "../invariants.ts";
import type { OperationResult } from "./open-loop.ts";

export interface Customer {
  customerId: string;
  token: string;
}

export interface OrderResult extends OperationResult {
  customerId: string;
  idempotencyKey: string;
  orderId?: string;
  /** The Retry-After of a refusal (503/429). */
  retryAfter?: string;
}

export interface OrderOperationOptions {
  gatewayUrl: string;
  customers: Customer[];
  productIds: string[];
  /** Client-side timeout of one request. */
  timeoutMs?: number;
}

export function orderOperation(options: OrderOperationOptions): (index: number) => Promise<OrderResult> {
  const { customers, productIds } = options;
  if (customers.length === 0) throw new Error("the order load needs at least one customer");
  if (productIds.length === 0) throw new Error("the order load needs at least one product (the catalog listed none?)");
  const shoppers = customers.map((c) => ({ ...c, shopper: new GatewayShopper(options.gatewayUrl, c.token) }));
  const timeoutMs = options.timeoutMs ?? 30_000;
  return async (index) => {
    const { customerId, shopper } = shoppers[index % shoppers.length]!;
    const idempotencyKey = randomUUID();
    const count = 1 + (index % 3);
    const first = Math.floor(Math.random() * productIds.length);
    const items = Array.from(new Set(Array.from({ length: count }, (_, k) => productIds[(first + k * 7) % productIds.length]!))).map((productId) => ({
      productId,
      quantity: 1,
    }));
    try {
      const placed = await shopper.placeOrder(items, idempotencyKey, { timeoutMs });
      const base = { customerId, idempotencyKey, status: placed.status, ...(placed.retryAfter ? { retryAfter: placed.retryAfter } : {}) };
      if (placed.orderId) return { ...base, outcome: "ok", orderId: placed.orderId };
      const detail = [placed.problem?.title, placed.problem?.detail].filter(Boolean).join(": ") || undefined;
      const outcome = placed.status === 503 || placed.status === 429 ? "refused" : "error";
      return { ...base, outcome, ...(detail ? { detail } : {}) };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { customerId, idempotencyKey, status: 0, outcome: "error", detail: `${(err as Error).name}: ${(err as Error).message}${cause ? ` (${cause})` : ""}` };
    }
  };
}

/** The orders the gateway accepted, in the shape the invariant checker takes. */
export function acceptedOrders(results: Iterable<OrderResult>): AcceptedOrder[] {
  const accepted: AcceptedOrder[] = [];
  for (const r of results) if (r.orderId) accepted.push({ orderId: r.orderId, customerId: r.customerId, idempotencyKey: r.idempotencyKey });
  return accepted;
}
