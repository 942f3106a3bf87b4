// A shopper using the public REST API of the gateway, as a customer would.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

export interface PlacedOrder {
  status: number;
  orderId?: string;
  replayed?: boolean;
  /** The Retry-After header of a 503 or 429. */
  retryAfter?: string;
  problem?: { title?: string; detail?: string; status?: number };
}

export class GatewayShopper {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async listProductIds(): Promise<Array<{ id: string; sku: string }>> {
    const res = await fetch(`${this.baseUrl}/api/v1/products?page_size=500`);
    if (!res.ok) throw new Error(`GET /api/v1/products answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { products?: Array<{ id: string; sku: string }> };
    return body.products ?? [];
  }

  async placeOrder(
    items: Array<{ productId: string; quantity: number }>,
    idempotencyKey: string = randomUUID(),
    { timeoutMs = 30_000 } = {},
  ): Promise<PlacedOrder> {
    const res = await fetch(`${this.baseUrl}/api/v1/orders`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.token}`,
        "content-type": "application/json",
        "idempotency-key": idempotencyKey,
      },
      body: JSON.stringify({ items }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as { id?: string; order?: { id?: string } } & PlacedOrder["problem"];
    const retryAfter = res.headers.get("retry-after") ?? undefined;
    if (res.status === 200 || res.status === 201) {
      return { status: res.status, orderId: body.id ?? body.order?.id, replayed: res.status === 200, retryAfter };
    }
    return { status: res.status, problem: body, retryAfter };
  }

  /**
   * As a well-behaved client does under admission control: a 503 or 429 with
   * Retry-After is tried again after it, with the same Idempotency-Key, for up
   * to `giveUpAfterMs`; any other answer is returned as it is.
   */
  async placeOrderRetrying(
    items: Array<{ productId: string; quantity: number }>,
    idempotencyKey: string = randomUUID(),
    { giveUpAfterMs = 60_000 } = {},
  ): Promise<PlacedOrder> {
    const giveUpAt = Date.now() + giveUpAfterMs;
    for (;;) {
      const placed = await this.placeOrder(items, idempotencyKey);
      const waitSeconds = Number(placed.retryAfter);
      if (!((placed.status === 503 || placed.status === 429) && waitSeconds >= 0) || Date.now() > giveUpAt) return placed;
      await sleep(waitSeconds * 1000 * (1 + Math.random()));
    }
  }
}
