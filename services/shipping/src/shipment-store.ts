// SQL for shipments and cancelled orders. Rows map to the proto Shipment.
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ShipmentFailureReason, ShipmentSchema, ShipmentStatus, type Shipment } from "@meshmart/proto/shipping/v1/shipping_pb";
import { keysetPage, SqlConditions, type Queryable, type Transaction } from "@meshmart/platform";

type StatusName = "BOOKED" | "FAILED" | "CANCELLED";

type ShipmentRow = {
  id: string;
  order_id: string;
  customer_id: string;
  status: StatusName;
  carrier: string | null;
  tracking_number: string | null;
  item_count: number;
  failure_reason: string | null;
  failure_message: string;
  created_at: Date;
  updated_at: Date;
};

export type NewShipment = {
  orderId: string;
  customerId: string;
  itemCount: number;
} & (
  | { status: ShipmentStatus.BOOKED; carrier: string; trackingNumber: string }
  | { status: ShipmentStatus.FAILED; failureReason: ShipmentFailureReason; failureMessage: string }
);

const columns =
  "id, order_id, customer_id, status, carrier, tracking_number, item_count, failure_reason, failure_message, created_at, updated_at";

export function toShipment(row: ShipmentRow): Shipment {
  return create(ShipmentSchema, {
    id: row.id,
    orderId: row.order_id,
    customerId: row.customer_id,
    status: ShipmentStatus[row.status],
    carrier: row.carrier ?? "",
    trackingNumber: row.tracking_number ?? "",
    itemCount: row.item_count,
    failureReason: row.failure_reason
      ? ShipmentFailureReason[row.failure_reason as keyof typeof ShipmentFailureReason]
      : ShipmentFailureReason.UNSPECIFIED,
    failureMessage: row.failure_message,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}

/**
 * Serialises everything done for one order (book, cancel) until `tx` ends. A
 * row lock is not enough: before the first event there is no row to lock, and
 * a cancel racing a booking must see it or be seen by it. */
export function lockOrder(tx: Transaction, orderId: string): Promise<void> {
  return tx.lockKey("meshmart.shipping.order", orderId);
}

export async function getShipment(db: Queryable, orderId: string): Promise<Shipment | undefined> {
  const { rows } = await db.query<ShipmentRow>(`SELECT ${columns} FROM shipments WHERE order_id = $1`, [orderId]);
  return rows[0] && toShipment(rows[0]);
}

/** Inserts the order's one shipment; a second insert for the order violates shipments_order_id_key. */
export async function insertShipment(db: Queryable, shipment: NewShipment): Promise<Shipment> {
  const booked = shipment.status === ShipmentStatus.BOOKED;
  const { rows } = await db.query<ShipmentRow>(
    `INSERT INTO shipments (id, order_id, customer_id, status, carrier, tracking_number, item_count, failure_reason, failure_message)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${columns}`,
    [
      randomUUID(),
      shipment.orderId,
      shipment.customerId,
      ShipmentStatus[shipment.status],
      booked ? shipment.carrier : null,
      booked ? shipment.trackingNumber : null,
      shipment.itemCount,
      booked ? null : ShipmentFailureReason[shipment.failureReason],
      booked ? "" : shipment.failureMessage,
    ],
  );
  return toShipment(rows[0]!);
}

/** Records that the booked shipment was cancelled with the carrier. */
export async function markCancelled(db: Queryable, orderId: string): Promise<Shipment> {
  const { rows } = await db.query<ShipmentRow>(
    `UPDATE shipments SET status = 'CANCELLED', updated_at = now() WHERE order_id = $1 AND status = 'BOOKED' RETURNING ${columns}`,
    [orderId],
  );
  return toShipment(rows[0]!);
}

/** One page in order id order, after `afterOrderId`; fetches one extra row to know whether more follow. */
export async function listShipments(
  db: Queryable,
  filter: { status?: ShipmentStatus },
  limit: number,
  afterOrderId?: string,
): Promise<{ shipments: Shipment[]; more: boolean }> {
  const conditions = new SqlConditions();
  if (filter.status) conditions.add("status = ?", ShipmentStatus[filter.status]);
  if (afterOrderId) conditions.add("order_id > ?", afterOrderId);
  const { rows } = await db.query<ShipmentRow>(
    `SELECT ${columns} FROM shipments ${conditions.where} ORDER BY order_id LIMIT ${conditions.param(limit + 1)}`,
    conditions.values,
  );
  const { page, more } = keysetPage(rows, limit);
  return { shipments: page.map(toShipment), more };
}
