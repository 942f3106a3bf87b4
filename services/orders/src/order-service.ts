// OrderService handlers: PlaceOrder (idempotent by customer and key), reads,
// CancelOrder, the order's timeline, and the Audit view for the invariant checker.
import { createHash, randomUUID } from "node:crypto";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { OrderService, OrderStatus, SagaStep, type PlaceOrderItem } from "@meshmart/proto/orders/v1/orders_pb";
import { annotateSpan, decodePageToken, meshmartAttributes, notFound, pageSize, pageTokenPatterns, type Database, type ProductLookup } from "@meshmart/platform";
import { priceItems } from "./catalog-pricing.ts";
import type { OrderSaga } from "./order-saga.ts";
import * as store from "./order-store.ts";
import { readTimeline } from "./order-timeline.ts";
import type { StatusName } from "./saga-decision.ts";

export interface OrderServiceDeps {
  db: Database;
  saga: OrderSaga;
  /** Catalog's products, through the product cache. */
  products: ProductLookup;
  sagaTimeoutMs: number;
  catalogTimeoutMs: number;
}

/** The window GetSagaLoad counts decided orders over. */
const sagaLoadWindowMs = 3_000;

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

      const priced = await priceItems(deps.products, req.items, deps.catalogTimeoutMs);
      const id = randomUUID();
      annotateSpan({ [meshmartAttributes.orderId]: id });
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
        await saga.apply(tx, row, { type: "PlaceOrder" }, "PlaceOrder RPC");
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

    async getOrderTimeline({ id }) {
      const row = await store.getOrder(db, id);
      if (!row) throw notFound("order", id);
      const entries = await readTimeline(db, id);
      return {
        orderId: id,
        entries: entries.map((entry) => ({
          sequence: entry.seq,
          time: timestampFromDate(entry.at),
          event: entry.event.type,
          detail: "detail" in entry.event ? entry.event.detail : "",
          cause: entry.cause,
          emitted: entry.emitted,
          status: OrderStatus[entry.status],
          step: SagaStep[entry.step],
        })),
      };
    },

    async cancelOrder({ id }) {
      const row = await db.transaction(async (tx) => {
        const current = await store.getOrder(tx, id, true);
        if (!current) throw notFound("order", id);
        const cancelled = await saga.apply(tx, current, { type: "CancelOrder" }, "CancelOrder RPC");
        if (cancelled.refusal) throw new ConnectError(cancelled.refusal, Code.FailedPrecondition);
        return cancelled.row;
      });
      return { order: store.toOrder(row) };
    },

    async getSagaLoad() {
      const load = await store.sagaLoad(db, sagaLoadWindowMs);
      return {
        pending: load.pending,
        oldestPendingMs: BigInt(load.oldestPendingMs),
        decidedPerSecond: load.decidedInWindow / (sagaLoadWindowMs / 1000),
        windowMs: BigInt(sagaLoadWindowMs),
      };
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
