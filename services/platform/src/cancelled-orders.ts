// The cancel-wins rule of a saga participant that acts on requests (payments charges, shipping books): it keeps a
// cancelled_orders table in its own database (its own migration creates it) and remembers every OrderCancelled there,
// also when there was nothing to undo yet, so that a request for the same order that arrives after the cancel is
// refused (ORDER_CANCELLED) instead of carried out. Both calls run in the handler's transaction, under its order lock.
import type { Queryable } from "./database.ts";

/** Remembers that the order was cancelled; false if it already was. `reason` is the CancelReason name. */
export async function recordCancellation(db: Queryable, orderId: string, reason: string, message: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "INSERT INTO cancelled_orders (order_id, reason, message) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    [orderId, reason, message],
  );
  return rowCount === 1;
}

/** True once an OrderCancelled for the order was recorded. */
export async function isCancelled(db: Queryable, orderId: string): Promise<boolean> {
  const { rowCount } = await db.query("SELECT 1 FROM cancelled_orders WHERE order_id = $1", [orderId]);
  return (rowCount ?? 0) > 0;
}
