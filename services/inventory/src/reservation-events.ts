// The events of the reservation aggregate, built from a reservation row and
// written to the outbox in the caller's transaction. Key: the order id, so an
// order's events stay in order on the topic.
import type { Outbox, Transaction } from "@meshmart/platform";
import {
  StockCommittedSchema,
  StockRejectedSchema,
  StockReleasedSchema,
  StockReservedSchema,
} from "@meshmart/proto/inventory/v1/events_pb";
import { toReservation, type ReservationRow } from "./reservation-store.ts";

export async function emitReserved(tx: Transaction, outbox: Outbox, row: ReservationRow): Promise<void> {
  await outbox.emit(tx, StockReservedSchema, { orderId: row.order_id, items: row.items }, { key: row.order_id });
}

export async function emitRejected(tx: Transaction, outbox: Outbox, row: ReservationRow): Promise<void> {
  const { rejections } = toReservation(row);
  await outbox.emit(tx, StockRejectedSchema, { orderId: row.order_id, rejections }, { key: row.order_id });
}

/** Items are the units given back: those of a released reservation, none for a tombstone or a rejected one. */
export async function emitReleased(tx: Transaction, outbox: Outbox, row: ReservationRow): Promise<void> {
  const items = row.state === "RELEASED" ? row.items : [];
  await outbox.emit(tx, StockReleasedSchema, { orderId: row.order_id, items }, { key: row.order_id });
}

export async function emitCommitted(tx: Transaction, outbox: Outbox, row: ReservationRow): Promise<void> {
  await outbox.emit(tx, StockCommittedSchema, { orderId: row.order_id, items: row.items }, { key: row.order_id });
}

/**
 * The answer to a reservation request that finds the reservation already
 * made (by an earlier delivery, or by the Reserve RPC): the same event the
 * first attempt emitted, so the saga always hears back. A released order
 * (cancelled before its OrderPlaced was handled) answers StockRejected with
 * no rejections: nothing is, or will be, reserved for it.
 */
export async function emitReservationAnswer(tx: Transaction, outbox: Outbox, row: ReservationRow): Promise<void> {
  switch (row.state) {
    case "RESERVED":
    case "COMMITTED":
      return emitReserved(tx, outbox, row);
    case "REJECTED":
      return emitRejected(tx, outbox, row);
    case "RELEASED":
      await outbox.emit(tx, StockRejectedSchema, { orderId: row.order_id, rejections: [] }, { key: row.order_id });
  }
}
