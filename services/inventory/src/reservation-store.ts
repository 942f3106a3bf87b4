// SQL for reservations, one row per order id. Items and rejections are small
// JSON arrays written once; the row maps to the proto Reservation.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ReservationSchema,
  ReservationState,
  StockRejectionReason,
  type Reservation,
} from "@meshmart/proto/inventory/v1/inventory_pb";
import { keysetPage, SqlConditions, type Queryable, type Transaction } from "@meshmart/platform";
import type { StockItem } from "./stock-store.ts";

export type StateName = "RESERVED" | "REJECTED" | "RELEASED" | "COMMITTED";
export type ReasonName = "INSUFFICIENT_STOCK" | "UNKNOWN_PRODUCT";

export interface RejectionJson {
  productId: string;
  reason: ReasonName;
  requested: number;
  available: string; // bigint as text: JSON numbers are doubles
}

export type ReservationRow = {
  order_id: string;
  state: StateName;
  items: StockItem[];
  rejections: RejectionJson[];
  created_at: Date;
  updated_at: Date;
};

export interface NewReservation {
  orderId: string;
  state: StateName;
  items: StockItem[];
  rejections: RejectionJson[];
}

const columns = "order_id, state, items, rejections, created_at, updated_at";

export function toReservation(row: ReservationRow): Reservation {
  return create(ReservationSchema, {
    orderId: row.order_id,
    state: ReservationState[row.state],
    items: row.items,
    rejections: row.rejections.map((rejection) => ({
      productId: rejection.productId,
      reason: StockRejectionReason[rejection.reason],
      requested: rejection.requested,
      available: BigInt(rejection.available),
    })),
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}

/**
 * Serialises every operation on one order id until `tx` ends: a Reserve and a
 * Release racing for the same order (an RPC and an event, two replicas) run
 * one after the other, so the second sees what the first decided. Taken
 * before any stock row lock, always, which keeps the lock order acyclic.
 */
export async function lockOrder(tx: Transaction, orderId: string): Promise<void> {
  // The two-key form has a key space of its own, apart from other advisory locks (the outbox relay's).
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('meshmart.inventory.reservation'), hashtext($1))", [orderId]);
}

export async function getReservation(db: Queryable, orderId: string): Promise<ReservationRow | undefined> {
  const { rows } = await db.query<ReservationRow>(`SELECT ${columns} FROM reservations WHERE order_id = $1`, [orderId]);
  return rows[0];
}

export async function insertReservation(tx: Transaction, reservation: NewReservation): Promise<ReservationRow> {
  const { rows } = await tx.query<ReservationRow>(
    `INSERT INTO reservations (order_id, state, items, rejections) VALUES ($1, $2, $3, $4) RETURNING ${columns}`,
    [reservation.orderId, reservation.state, JSON.stringify(reservation.items), JSON.stringify(reservation.rejections)],
  );
  return rows[0]!;
}

export async function setState(tx: Transaction, orderId: string, state: StateName): Promise<ReservationRow> {
  const { rows } = await tx.query<ReservationRow>(
    `UPDATE reservations SET state = $2, updated_at = now() WHERE order_id = $1 RETURNING ${columns}`,
    [orderId, state],
  );
  return rows[0]!;
}

/** One page in order id order, after `afterId`; fetches one extra row to know whether more follow. */
export async function listReservations(
  db: Queryable,
  limit: number,
  afterId?: string,
): Promise<{ reservations: ReservationRow[]; more: boolean }> {
  const conditions = new SqlConditions();
  if (afterId) conditions.add("order_id > ?", afterId);
  const { rows } = await db.query<ReservationRow>(
    `SELECT ${columns} FROM reservations ${conditions.where} ORDER BY order_id LIMIT ${conditions.param(limit + 1)}`,
    conditions.values,
  );
  const { page, more } = keysetPage(rows, limit);
  return { reservations: page, more };
}
