// SQL for orders and their saga state.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  CancelReason,
  OrderSchema,
  OrderStatus,
  SagaSchema,
  SagaStep,
  type Order,
  type Saga,
} from "@meshmart/proto/orders/v1/orders_pb";
import { keysetPage, SqlConditions, type Queryable } from "@meshmart/platform";
import type { ReasonName, SagaChanges, SagaState, StatusName, StepName } from "./saga-decision.ts";

export type OrderRow = {
  id: string;
  customer_id: string;
  idempotency_key: string;
  request_hash: string;
  status: StatusName;
  currency_code: string;
  total_minor: string;
  cancel_reason: ReasonName | null;
  cancel_message: string;
  created_at: Date;
  updated_at: Date;
  deadline: Date;
  saga_step: StepName;
  stock_reserved: boolean;
  payment_captured: boolean;
  stock_committed: boolean;
  stock_released: boolean;
  payment_refunded: boolean;
  shipment_booked: boolean;
  shipment_cancelled: boolean;
  saga_ended_at: Date | null;
  decided_at: Date | null;
  /** The database's clock when the row was read: the saga's "now" (the sweeper's clock too). */
  read_at: Date;
  items: Array<{ product_id: string; quantity: number; unit_price_minor: string }>;
};

export interface NewOrder {
  id: string;
  customerId: string;
  idempotencyKey: string;
  requestHash: string;
  currencyCode: string;
  totalMinor: bigint;
  deadline: Date;
  items: Array<{ productId: string; quantity: number; unitPriceMinor: bigint }>;
}

const selectOrder = `
  SELECT o.*, clock_timestamp() AS read_at, coalesce((
    SELECT json_agg(json_build_object('product_id', i.product_id, 'quantity', i.quantity,
                                      'unit_price_minor', i.unit_price_minor::text) ORDER BY i.position)
    FROM order_items i WHERE i.order_id = o.id), '[]') AS items
  FROM orders o`;

export function toOrder(row: OrderRow): Order {
  const money = (minor: string | bigint) => ({ currencyCode: row.currency_code, unitsMinor: BigInt(minor) });
  return create(OrderSchema, {
    id: row.id,
    customerId: row.customer_id,
    status: OrderStatus[row.status],
    items: row.items.map((item) => ({
      productId: item.product_id,
      quantity: item.quantity,
      unitPrice: money(item.unit_price_minor),
    })),
    total: money(row.total_minor),
    cancelReason: row.cancel_reason ? CancelReason[row.cancel_reason] : CancelReason.UNSPECIFIED,
    cancelMessage: row.cancel_message,
    idempotencyKey: row.idempotency_key,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
    deadline: timestampFromDate(row.deadline),
  });
}

export function toSaga(row: OrderRow): Saga {
  return create(SagaSchema, {
    step: SagaStep[row.saga_step],
    stockReserved: row.stock_reserved,
    paymentCaptured: row.payment_captured,
    stockCommitted: row.stock_committed,
    stockReleased: row.stock_released,
    paymentRefunded: row.payment_refunded,
    shipmentBooked: row.shipment_booked,
    shipmentCancelled: row.shipment_cancelled,
    deadline: timestampFromDate(row.deadline),
    endTime: row.saga_ended_at ? timestampFromDate(row.saga_ended_at) : undefined,
    decideTime: row.decided_at ? timestampFromDate(row.decided_at) : undefined,
  });
}

export async function getOrder(db: Queryable, id: string, forUpdate = false): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(`${selectOrder} WHERE o.id = $1${forUpdate ? " FOR UPDATE OF o" : ""}`, [id]);
  return rows[0];
}

export async function findByIdempotencyKey(db: Queryable, customerId: string, key: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(`${selectOrder} WHERE o.customer_id = $1 AND o.idempotency_key = $2`, [
    customerId,
    key,
  ]);
  return rows[0];
}

/** Inserts the order unless its idempotency key is taken; returns false when it was. */
export async function insertOrder(db: Queryable, order: NewOrder): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO orders (id, customer_id, idempotency_key, request_hash, status, currency_code, total_minor, deadline, saga_step)
     VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, 'AWAITING_STOCK')
     ON CONFLICT (customer_id, idempotency_key) DO NOTHING`,
    [order.id, order.customerId, order.idempotencyKey, order.requestHash, order.currencyCode, order.totalMinor.toString(), order.deadline],
  );
  if (rowCount === 0) return false;
  for (const [position, item] of order.items.entries()) {
    await db.query(
      "INSERT INTO order_items (order_id, position, product_id, quantity, unit_price_minor) VALUES ($1, $2, $3, $4, $5)",
      [order.id, position, item.productId, item.quantity, item.unitPriceMinor.toString()],
    );
  }
  return true;
}

/** The saga's view of a row: plain data for decide(). */
export function toSagaState(row: OrderRow): SagaState {
  const money = (minor: string) => ({ currencyCode: row.currency_code, unitsMinor: BigInt(minor) });
  return {
    orderId: row.id,
    customerId: row.customer_id,
    items: row.items.map((item) => ({ productId: item.product_id, quantity: item.quantity, unitPrice: money(item.unit_price_minor) })),
    total: money(row.total_minor),
    deadline: row.deadline,
    status: row.status,
    step: row.saga_step,
    stockReserved: row.stock_reserved,
    paymentCaptured: row.payment_captured,
    shipmentBooked: row.shipment_booked,
    stockCommitted: row.stock_committed,
    stockReleased: row.stock_released,
    paymentRefunded: row.payment_refunded,
    shipmentCancelled: row.shipment_cancelled,
    cancelReason: row.cancel_reason,
    cancelMessage: row.cancel_message,
  };
}

// The column of each saga change; also keeps anything else out of the SET clause.
const sagaColumns: Record<keyof SagaChanges, string> = {
  status: "status",
  step: "saga_step",
  cancelReason: "cancel_reason",
  cancelMessage: "cancel_message",
  stockReserved: "stock_reserved",
  paymentCaptured: "payment_captured",
  stockCommitted: "stock_committed",
  stockReleased: "stock_released",
  paymentRefunded: "payment_refunded",
  shipmentBooked: "shipment_booked",
  shipmentCancelled: "shipment_cancelled",
};

/**
 * Applies saga changes to a locked order; sets saga_ended_at when the step becomes ENDED. Returns the row as it is now.
 * A confirmation is written only while the deadline has not passed, on one reading of the clock (also its decided_at):
 * undefined when the deadline passed since the row was read (decide again: it cancels).
 */
export async function updateOrder(db: Queryable, row: OrderRow, changes: SagaChanges): Promise<OrderRow | undefined> {
  const entries = (Object.keys(sagaColumns) as Array<keyof SagaChanges>)
    .filter((key) => changes[key] !== undefined)
    .map((key) => [sagaColumns[key], changes[key]] as const);
  const sets = entries.map(([column], i) => `${column} = $${i + 2}`);
  if (changes.step === "ENDED") sets.push("saga_ended_at = coalesce(saga_ended_at, clock_timestamp())");
  else if (changes.step) sets.push("saga_ended_at = NULL");
  const confirm = changes.status === "CONFIRMED";
  if (confirm) sets.push("decided_at = coalesce(decided_at, now_.t)");
  if (changes.status === "CANCELLED") sets.push("decided_at = coalesce(decided_at, clock_timestamp())");
  // RETURNING the row (its items do not change): no second read.
  const { rows } = await db.query<Omit<OrderRow, "items">>(
    `UPDATE orders SET ${[...sets, "updated_at = clock_timestamp()"].join(", ")}` +
      (confirm ? " FROM (SELECT clock_timestamp() AS t) now_ WHERE id = $1 AND deadline > now_.t" : " WHERE id = $1") +
      " RETURNING orders.*, clock_timestamp() AS read_at",
    [row.id, ...entries.map(([, value]) => value)],
  );
  return rows[0] ? { ...rows[0], items: row.items } : undefined;
}

export interface OrderFilter {
  customerId?: string;
  status?: StatusName;
}

/**
 * Newest first, keyset-paged on (created_at, id). `after` and the returned
 * `next` are the sort key of a page's last order: its creation time in
 * microseconds since 1970 (the precision PostgreSQL keeps: a coarser key
 * would skip orders created within the same millisecond), "_", its id.
 */
export async function listOrders(
  db: Queryable,
  filter: OrderFilter,
  limit: number,
  after?: string,
): Promise<{ rows: OrderRow[]; next?: string }> {
  const conditions = new SqlConditions();
  if (filter.customerId) conditions.add("o.customer_id = ?", filter.customerId);
  if (filter.status) conditions.add("o.status = ?", filter.status);
  if (after) {
    const [micros, id] = after.split("_") as [string, string];
    conditions.add("(o.created_at, o.id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?::uuid)", micros, id);
  }
  const { rows } = await db.query<OrderRow & { sort_key: string }>(
    `${selectOrder.replace("SELECT o.*,", "SELECT o.*, (extract(epoch FROM o.created_at) * 1000000)::bigint || '_' || o.id AS sort_key,")}
     ${conditions.where} ORDER BY o.created_at DESC, o.id DESC LIMIT ${conditions.param(limit + 1)}`,
    conditions.values,
  );
  const { page, more } = keysetPage(rows, limit);
  return { rows: page, next: more ? page.at(-1)?.sort_key : undefined };
}

/** Every order in id order, for the invariant checker. */
export async function auditOrders(db: Queryable, limit: number, afterId?: string): Promise<{ rows: OrderRow[]; more: boolean }> {
  const { rows } = await db.query<OrderRow>(
    `${selectOrder} ${afterId ? "WHERE o.id > $2" : ""} ORDER BY o.id LIMIT $1`,
    afterId ? [limit + 1, afterId] : [limit + 1],
  );
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

/** PENDING orders past their deadline, locked, skipping those another replica holds. */
export async function lockExpiredOrders(db: Queryable, limit: number): Promise<OrderRow[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM orders WHERE status = 'PENDING' AND deadline < clock_timestamp()
     ORDER BY deadline LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  const orders: OrderRow[] = [];
  for (const { id } of rows) orders.push((await getOrder(db, id))!);
  return orders;
}

export async function countPendingSagas(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM orders WHERE saga_step <> 'ENDED'");
  return Number(rows[0]?.n ?? 0);
}

export interface SagaLoad {
  pending: number;
  oldestPendingMs: number;
  decidedInWindow: number;
}

/** PENDING orders, the age of the oldest, and orders decided in the last `windowMs` (both through their indexes). */
export async function sagaLoad(db: Queryable, windowMs: number): Promise<SagaLoad> {
  const { rows } = await db.query<{ pending: string; oldest_ms: string; decided: string }>(
    `SELECT p.pending, p.oldest_ms, d.decided FROM
       (SELECT count(*) AS pending,
               coalesce(extract(epoch FROM clock_timestamp() - min(created_at)) * 1000, 0)::bigint AS oldest_ms
          FROM orders WHERE status = 'PENDING') p,
       (SELECT count(*) AS decided FROM orders
          WHERE decided_at IS NOT NULL AND decided_at > clock_timestamp() - make_interval(secs => $1)) d`,
    [windowMs / 1000],
  );
  const row = rows[0]!;
  return { pending: Number(row.pending), oldestPendingMs: Math.max(0, Number(row.oldest_ms)), decidedInWindow: Number(row.decided) };
}

/** Seconds the oldest PENDING order is past its deadline (what the sweeper has not caught up with); 0 when none is. */
export async function oldestMissedDeadlineSeconds(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ lag: number | null }>(
    "SELECT extract(epoch FROM clock_timestamp() - min(deadline))::float8 AS lag FROM orders WHERE status = 'PENDING' AND deadline < clock_timestamp()",
  );
  return rows[0]?.lag ?? 0;
}
