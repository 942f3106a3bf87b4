// A shopper using the public REST API of the gateway, as a customer would.
import { randomUUID } from "node:crypto";

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
}
