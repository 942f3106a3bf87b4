// The order load as a library: customers with tokens, the products to order,
// an open-loop run of PlaceOrder through the gateway, then (optionally) the
// accepted orders' sagas timed to their decision. `make load`, `make bench`
// and the scenarios use it.
import { randomUUID } from "node:crypto";
import type { Client } from "@connectrpc/connect";
import { scarceDemoSkus } from "@meshmart/fixtures";
import type { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { GatewayShopper } from "../gateway-shopper.ts";
import type { AcceptedOrder } from "../invariants.ts";
import type { ArrivalProcess } from "./arrivals.ts";
import { runOpenLoop, type LoadProgress, type LoadSummary, type OperationRecord } from "./open-loop.ts";
import { acceptedOrders, orderOperation, type Customer, type OrderResult } from "./order-operation.ts";
import { summarizeSagas, waitForSagas, type SagaSummary, type SagaTiming } from "./saga-timings.ts";

export interface OrderLoadOptions {
  gatewayUrl: string;
  rate: number;
  durationMs: number;
  arrival?: ArrivalProcess;
  seed?: number;
  /** Distinct customers the orders spread over (the gateway rate-limits per customer). */
  customers?: number;
  /** Signs a token the gateway accepts for a customer id. */
  tokenFor: (customerId: string) => Promise<string>;
  /** Also order the scarce demo products (stock of 3: most such orders are rejected). */
  includeScarce?: boolean;
  requestTimeoutMs?: number;
  maxInFlight?: number;
  onProgress?: (progress: LoadProgress) => void;
  /** With orders' client, waits for the accepted orders' sagas and times them. */
  orders?: Client<typeof OrderService>;
  sagaTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface OrderLoadRun {
  /** Wall-clock span of the arrivals (epoch ms). */
  startedAt: number;
  endedAt: number;
  summary: LoadSummary & { refusedWithoutRetryAfter: number };
  records: Array<OperationRecord<OrderResult>>;
  accepted: AcceptedOrder[];
  saga?: SagaSummary;
  sagaTimings?: SagaTiming[];
}

export async function makeCustomers(count: number, tokenFor: (customerId: string) => Promise<string>): Promise<Customer[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const customerId = randomUUID();
      return { customerId, token: await tokenFor(customerId) };
    }),
  );
}

/** Product ids to order, from the gateway's catalog (without the scarce demo products unless asked). */
export async function orderableProducts(gatewayUrl: string, includeScarce = false): Promise<string[]> {
  const products = await new GatewayShopper(gatewayUrl, "").listProductIds();
  return products.filter((p) => includeScarce || !scarceDemoSkus.includes(p.sku)).map((p) => p.id);
}

export async function runOrderLoad(options: OrderLoadOptions): Promise<OrderLoadRun> {
  const customers = await makeCustomers(options.customers ?? Math.max(10, Math.ceil(options.rate / 4)), options.tokenFor);
  const productIds = await orderableProducts(options.gatewayUrl, options.includeScarce);
  const startedAt = Date.now();
  const run = await runOpenLoop({
    rate: options.rate,
    durationMs: options.durationMs,
    ...(options.arrival ? { arrival: options.arrival } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    operation: orderOperation({ gatewayUrl: options.gatewayUrl, customers, productIds, ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}) }),
  });
  const endedAt = startedAt + options.durationMs;
  const results = run.records.map((r) => r.result);
  const accepted = acceptedOrders(results);
  const refusedWithoutRetryAfter = results.filter((r) => r.outcome === "refused" && !r.retryAfter).length;
  const out: OrderLoadRun = { startedAt, endedAt, summary: { ...run.summary, refusedWithoutRetryAfter }, records: run.records, accepted };
  if (options.orders) {
    const timings = await waitForSagas(options.orders, accepted.map((a) => a.orderId), { timeoutMs: options.sagaTimeoutMs ?? 60_000 });
    out.sagaTimings = timings;
    out.saga = summarizeSagas(timings);
  }
  return out;
}
