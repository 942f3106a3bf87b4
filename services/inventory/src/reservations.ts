// Reserve, Release and Commit: the three operations on an order's
// reservation, shared by the RPCs and the event handlers. Each runs in the
// caller's transaction with the order id locked, is idempotent by order id,
// and emits the event of the transition it makes in that same transaction.
// Repeating an operation changes nothing and emits nothing (`changed` false).
import { Code, ConnectError } from "@connectrpc/connect";
import type { Outbox, Transaction } from "@meshmart/platform";
import * as events from "./reservation-events.ts";
import * as reservations from "./reservation-store.ts";
import type { RejectionJson, ReservationRow } from "./reservation-store.ts";
import * as stock from "./stock-store.ts";
import type { StockItem } from "./stock-store.ts";

export interface Outcome {
  reservation: ReservationRow;
  /** False when the operation had already been done (or, for Release, there was nothing to do). */
  changed: boolean;
}

/**
 * Reserves every item or none. The first Reserve of an order decides: later
 * ones return its reservation whatever its state (a REJECTED order stays
 * rejected even if stock arrives; a released order reserves nothing).
 */
export async function reserve(tx: Transaction, outbox: Outbox, orderId: string, requested: StockItem[]): Promise<Outcome> {
  orderId = orderId.toLowerCase();
  const items = normalizeItems(requested);
  await reservations.lockOrder(tx, orderId);
  const existing = await reservations.getReservation(tx, orderId);
  if (existing) {
    // A release tombstone has no items: whatever a late Reserve asks for, it gets nothing.
    if (existing.items.length > 0 && !sameItems(existing.items, items)) {
      throw new ConnectError(`order ${orderId} already has a reservation with other items`, Code.FailedPrecondition);
    }
    return { reservation: existing, changed: false };
  }

  const locked = await stock.lockStocks(tx, items.map((item) => item.productId));
  const rejections: RejectionJson[] = items.flatMap((item): RejectionJson[] => {
    const row = locked.get(item.productId);
    if (!row) return [{ productId: item.productId, reason: "UNKNOWN_PRODUCT", requested: item.quantity, available: "0" }];
    if (BigInt(row.available) < BigInt(item.quantity)) {
      return [{ productId: item.productId, reason: "INSUFFICIENT_STOCK", requested: item.quantity, available: row.available }];
    }
    return [];
  });

  if (rejections.length > 0) {
    const rejected = await reservations.insertReservation(tx, { orderId, state: "REJECTED", items, rejections });
    await events.emitRejected(tx, outbox, rejected);
    return { reservation: rejected, changed: true };
  }
  await stock.moveUnits(tx, items, "available", "reserved");
  const reserved = await reservations.insertReservation(tx, { orderId, state: "RESERVED", items, rejections: [] });
  await events.emitReserved(tx, outbox, reserved);
  return { reservation: reserved, changed: true };
}

/**
 * Gives a RESERVED reservation's units back. Nothing to give back is not an
 * error: an unknown order gets a RELEASED tombstone (so a late Reserve holds
 * nothing), a REJECTED or RELEASED one stays as it is. COMMITTED units are sold
 * and cannot come back.
 */
export async function release(tx: Transaction, outbox: Outbox, orderId: string): Promise<Outcome> {
  orderId = orderId.toLowerCase();
  await reservations.lockOrder(tx, orderId);
  const existing = await reservations.getReservation(tx, orderId);
  if (!existing) {
    const tombstone = await reservations.insertReservation(tx, { orderId, state: "RELEASED", items: [], rejections: [] });
    await events.emitReleased(tx, outbox, tombstone);
    return { reservation: tombstone, changed: true };
  }
  switch (existing.state) {
    case "REJECTED":
    case "RELEASED":
      return { reservation: existing, changed: false };
    case "COMMITTED":
      throw new ConnectError(`order ${orderId}: a committed reservation cannot be released`, Code.FailedPrecondition);
    case "RESERVED": {
      await stock.lockStocks(tx, existing.items.map((item) => item.productId));
      await stock.moveUnits(tx, existing.items, "reserved", "available");
      const released = await reservations.setState(tx, orderId, "RELEASED");
      await events.emitReleased(tx, outbox, released);
      return { reservation: released, changed: true };
    }
  }
}

/** Sells a RESERVED reservation's units; committing again is a no-op, anything else a precondition failure. */
export async function commit(tx: Transaction, outbox: Outbox, orderId: string): Promise<Outcome> {
  orderId = orderId.toLowerCase();
  await reservations.lockOrder(tx, orderId);
  const existing = await reservations.getReservation(tx, orderId);
  if (existing?.state === "COMMITTED") return { reservation: existing, changed: false };
  if (existing?.state !== "RESERVED") {
    const state = existing ? existing.state : "no reservation";
    throw new ConnectError(`order ${orderId}: cannot commit (${state})`, Code.FailedPrecondition);
  }
  await stock.lockStocks(tx, existing.items.map((item) => item.productId));
  await stock.moveUnits(tx, existing.items, "reserved", "sold");
  const committed = await reservations.setState(tx, orderId, "COMMITTED");
  await events.emitCommitted(tx, outbox, committed);
  return { reservation: committed, changed: true };
}

/**
 * Ids in the database's (lower-case) spelling, so that lookups by id match;
 * a product listed twice (possible in an event, not in a validated RPC) counts once with the sum.
 */
function normalizeItems(items: StockItem[]): StockItem[] {
  if (items.length === 0) throw new ConnectError("a reservation needs at least one item", Code.InvalidArgument);
  const merged = new Map<string, number>();
  for (const item of items) {
    if (!Number.isInteger(item.quantity) || item.quantity <= 0) {
      throw new ConnectError(`quantity of ${item.productId} must be positive (got ${item.quantity})`, Code.InvalidArgument);
    }
    const productId = item.productId.toLowerCase();
    merged.set(productId, (merged.get(productId) ?? 0) + item.quantity);
  }
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** The same products with the same quantities, in any order. */
function sameItems(a: StockItem[], b: StockItem[]): boolean {
  const key = (items: StockItem[]) =>
    items
      .map((item) => `${item.productId}:${item.quantity}`)
      .sort()
      .join(",");
  return key(a) === key(b);
}
