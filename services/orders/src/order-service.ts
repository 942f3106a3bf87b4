// OrderService handlers: PlaceOrder (idempotent by customer and key), reads,
// CancelOrder, and the Audit view for the invariant checker.
import { createHash, randomUUID } from "node:crypto";
import { Code, ConnectError, type Client, type ServiceImpl } from "@connectrpc/connect";
import type { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { OrderService, OrderStatus, type PlaceOrderItem } from "@meshmart/proto/orders/v1/orders_pb";
import { decodePageToken, notFound, pageSize, pageTokenPatterns, type Database } from "@meshmart/platform";
import { priceItems } from "./catalog-pricing.ts";
import type { OrderSaga } from "./order-saga.ts";
import * as store from "./order-store.ts";
import type { StatusName } from "./saga-decision.ts";

export interface OrderServiceDeps {
  db: Database;
  saga: OrderSaga;
  catalog: Client<typeof CatalogService>;
  sagaTimeoutMs: number;
  catalogTimeoutMs: number;
}

/** Fingerprint of what was ordered, independent of item order. */
function requestHash(items: PlaceOrderItem[]): string {
  const canonical = items
    .map((item) => `${item.productId}:${item.quantity}`)
    .sort()
    .join(",");
  return createHash("sha256").update(canonical).digest("hex");
}

export function createOrderService(deps: OrderServiceDeps): ServiceImpl<typeof OrderService> {
  const { db, saga } = deps;

  const replay = (row: store.OrderRow, hash: string) => {
    if (row.request_hash !== hash) {
      throw new ConnectError(
        `idempotency key "${row.idempotency_key}" was already used for a different order (${row.id})`,
        Code.FailedPrecondition,
      );
    }
    return { order: store.toOrder(row), replayed: true };
  };

  return {
    async placeOrder(req) {
      const hash = requestHash(req.items);
      const existing = await store.findByIdempotencyKey(db, req.customerId, req.idempotencyKey);
      if (existing) return replay(existing, hash);

      const priced = await priceItems(deps.catalog, req.items, deps.catalogTimeoutMs);
      const id = randomUUID();
      const created = await db.transaction(async (tx) => {
        const inserted = await store.insertOrder(tx, {
          id,
          customerId: req.customerId,
          idempotencyKey: req.idempotencyKey,
          requestHash: hash,
          currencyCode: priced.currencyCode,
          totalMinor: priced.totalMinor,
          deadline: new Date(Date.now() + deps.sagaTimeoutMs),
          items: priced.items,
        });
        if (!inserted) return undefined; // a concurrent call with the same key won
        const row = (await store.getOrder(tx, id))!;
        await saga.apply(tx, row, { type: "PlaceOrder" });
        return row;
      });
      if (!created) return replay((await store.findByIdempotencyKey(db, req.customerId, req.idempotencyKey))!, hash);
      return { order: store.toOrder(created), replayed: false };
    },

    async getOrder({ id }) {
      const row = await store.getOrder(db, id);
      if (!row) throw notFound("order", id);
      return { order: store.toOrder(row) };
    },

    async listOrders(req) {
      const filter: store.OrderFilter = {
        customerId: req.customerId || undefined,
        status: req.status === OrderStatus.UNSPECIFIED ? undefined : (OrderStatus[req.status] as StatusName),
      };
      const after = decodePageToken(req.pageToken, pageTokenPatterns.createdAndId);
      const { rows, next } = await store.listOrders(db, filter, pageSize(req.pageSize), after);
      return { orders: rows.map(store.toOrder), nextPageToken: next ?? "" };
    },

    async cancelOrder({ id }) {
      const row = await db.transaction(async (tx) => {
        const current = await store.getOrder(tx, id, true);
        if (!current) throw notFound("order", id);
        const cancelled = await saga.apply(tx, current, { type: "CancelOrder" });
        if (cancelled.refusal) throw new ConnectError(cancelled.refusal, Code.FailedPrecondition);
        return cancelled.row;
      });
      return { order: store.toOrder(row) };
    },

    async audit(req) {
      const after = decodePageToken(req.pageToken, pageTokenPatterns.id);
      const { rows, more } = await store.auditOrders(db, pageSize(req.pageSize, 500), after);
      const last = rows.at(-1);
      return {
        orders: rows.map((row) => ({ order: store.toOrder(row), saga: store.toSaga(row) })),
        nextPageToken: more && last ? last.id : "",
      };
    },
  };
}
