// Load through the gateway while a fault is in place: a few shoppers, each its
// own customer, place orders in a loop (POST /api/v1/orders with an
// Idempotency-Key) and record every attempt in the history. An answer that
// asks to be retried (503 or 429, or no answer at all) is retried with the
// same key after its Retry-After, as a well-behaved client would; that is what
// makes "accepted" well defined when a request's outcome was unknown.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { GatewayShopper } from "../gateway-shopper.ts";
import type { History, Operation } from "./history.ts";

export interface Shopper {
  customerId: string;
  token: string;
}

export interface OrderLoadOptions {
  gatewayUrl: string;
  shoppers: Shopper[];
  products: Array<{ id: string }>;
  history: History;
  /** Pause between two orders of one shopper. */
  pauseMs?: number;
  /** Tries per idempotency key (first try included). */
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

export interface OrderLoad {
  /** Stops placing new orders; resolves once every request in flight has answered. */
  stop(): Promise<void>;
}

export async function placeOrderOnce(
  gatewayUrl: string,
  shopper: Shopper,
  items: Array<{ productId: string; quantity: number }>,
  idempotencyKey: string,
  timeoutMs: number,
): Promise<Pick<Operation, "status" | "orderId" | "retryAfter" | "detail">> {
  try {
    const placed = await new GatewayShopper(gatewayUrl, shopper.token).placeOrder(items, idempotencyKey, { timeoutMs });
    const { status, orderId, retryAfter } = placed;
    const detail = [placed.problem?.title, placed.problem?.detail].filter(Boolean).join(": ") || undefined;
    return { status, ...(orderId ? { orderId } : {}), ...(retryAfter ? { retryAfter } : {}), ...(detail ? { detail } : {}) };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: 0, detail: `${(err as Error).name}: ${(err as Error).message}${cause ? ` (${cause})` : ""}` };
  }
}

const retryable = (status: number) => status === 0 || status === 503 || status === 429;

export function startOrderLoad(options: OrderLoadOptions): OrderLoad {
  const { history, products } = options;
  if (products.length === 0) throw new Error("the catalog listed no products: nothing to order");
  const pauseMs = options.pauseMs ?? 200;
  const maxAttempts = options.maxAttempts ?? 3;
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  let running = true;
  let n = 0;

  const shop = async (shopper: Shopper) => {
    while (running) {
      const i = n++;
      const picks = [...products].sort(() => Math.random() - 0.5).slice(0, 1 + (i % 3));
      const items = picks.map((p) => ({ productId: p.id, quantity: 1 + (i % 2) }));
      const key = randomUUID();
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const phase = history.phase();
        const at = history.now();
        const answer = await placeOrderOnce(options.gatewayUrl, shopper, items, key, timeoutMs);
        history.record({ at, durationMs: history.now() - at, phase, customerId: shopper.customerId, idempotencyKey: key, attempt, ...answer });
        if (!retryable(answer.status) || attempt === maxAttempts || !running) break;
        const seconds = Number(answer.retryAfter);
        await sleep(Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 5) * 1000 : 500);
      }
      if (running) await sleep(pauseMs);
    }
  };

  const loops = options.shoppers.map((shopper) => shop(shopper));
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
