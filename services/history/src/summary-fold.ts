// The projection's one rule: how an event changes an order's summary. A pure
// function, so that folding the events of an order in any order can be
// table-tested without a database (summary-fold.test.ts).
//
// Events of one order travel on three topics (orders, payments, shipping),
// read at their own pace, so they arrive in any order, and some arrive twice
// under new event ids. Each field therefore only ever moves forward:
// - status: UNSPECIFIED < PENDING < CONFIRMED | CANCELLED (final; orders
//   never decides both for one order);
// - payment: NONE < CAPTURED | DECLINED < REFUNDED (a refund follows a capture);
// - shipment: NONE < BOOKED | FAILED < CANCELLED (a cancel follows a booking);
// - what an event carries (customer, total, lines, carrier, tracking) fills
//   a field that is still empty and never overwrites one.
// An event that changes nothing (a duplicate, a capture after its refund)
// leaves the summary exactly as it was, update_time included.

export type StatusName = "UNSPECIFIED" | "PENDING" | "CONFIRMED" | "CANCELLED";
export type PaymentStateName = "NONE" | "CAPTURED" | "DECLINED" | "REFUNDED";
export type ShipmentStateName = "NONE" | "BOOKED" | "FAILED" | "CANCELLED";

export interface MoneyMinor {
  currencyCode: string;
  unitsMinor: bigint;
}

export interface LineOf {
  productId: string;
  quantity: number;
  unitPrice: MoneyMinor;
}

/** An order's summary without its lines (which OrderPlaced writes once) and product names (joined on read). */
export interface SummaryState {
  customerId: string | null;
  /** OrderPlaced was applied: lines, total and place time are known. */
  placed: boolean;
  status: StatusName;
  /** A meshmart.orders.v1.CancelReason name without its prefix; "UNSPECIFIED" unless cancelled. */
  cancelReason: string;
  cancelMessage: string;
  total: MoneyMinor | null;
  paymentState: PaymentStateName;
  shipmentState: ShipmentStateName;
  carrier: string;
  trackingNumber: string;
  placeTime: Date | null;
  /** The listing's sort key: the place time once placed, before that the earliest event time seen. */
  listTime: Date;
  updateTime: Date;
}

export type HistoryEvent =
  | { kind: "OrderPlaced"; customerId: string; total: MoneyMinor; lines: LineOf[] }
  | { kind: "OrderConfirmed"; customerId: string; total: MoneyMinor | null }
  | { kind: "OrderCancelled"; customerId: string; reason: string; message: string }
  | { kind: "PaymentCaptured" }
  | { kind: "PaymentDeclined" }
  | { kind: "PaymentRefunded" }
  | { kind: "ShipmentBooked"; carrier: string; trackingNumber: string }
  | { kind: "ShipmentFailed" }
  | { kind: "ShipmentCancelled" };

const statusRank: Record<StatusName, number> = { UNSPECIFIED: 0, PENDING: 1, CONFIRMED: 2, CANCELLED: 2 };
const paymentRank: Record<PaymentStateName, number> = { NONE: 0, CAPTURED: 1, DECLINED: 1, REFUNDED: 2 };
const shipmentRank: Record<ShipmentStateName, number> = { NONE: 0, BOOKED: 1, FAILED: 1, CANCELLED: 2 };

/** The summary of an order no event has reached yet. */
export function emptySummary(time: Date): SummaryState {
  return {
    customerId: null,
    placed: false,
    status: "UNSPECIFIED",
    cancelReason: "UNSPECIFIED",
    cancelMessage: "",
    total: null,
    paymentState: "NONE",
    shipmentState: "NONE",
    carrier: "",
    trackingNumber: "",
    placeTime: null,
    listTime: time,
    updateTime: time,
  };
}

/**
 * The summary after `event` (CloudEvent time `time`), and whether the event
 * changed it. `before` undefined: the projection has no row of the order yet.
 */
export function foldEvent(before: SummaryState | undefined, event: HistoryEvent, time: Date): { state: SummaryState; changed: boolean } {
  const base = before ?? emptySummary(time);
  const next: SummaryState = { ...base };
  const customer = (id: string) => (next.customerId ??= id || null);
  const moveStatus = (status: StatusName) => {
    if (statusRank[status] > statusRank[next.status]) next.status = status;
    return next.status === status;
  };
  switch (event.kind) {
    case "OrderPlaced":
      if (!next.placed) {
        next.placed = true;
        next.customerId = event.customerId;
        next.total = event.total;
        next.placeTime = time;
        next.listTime = time;
      }
      moveStatus("PENDING");
      break;
    case "OrderConfirmed":
      customer(event.customerId);
      next.total ??= event.total;
      moveStatus("CONFIRMED");
      break;
    case "OrderCancelled":
      customer(event.customerId);
      if (statusRank[next.status] < statusRank.CANCELLED) {
        next.status = "CANCELLED";
        next.cancelReason = event.reason;
        next.cancelMessage = event.message;
      }
      break;
    case "PaymentCaptured":
      next.paymentState = forward(paymentRank, next.paymentState, "CAPTURED");
      break;
    case "PaymentDeclined":
      next.paymentState = forward(paymentRank, next.paymentState, "DECLINED");
      break;
    case "PaymentRefunded":
      next.paymentState = forward(paymentRank, next.paymentState, "REFUNDED");
      break;
    case "ShipmentBooked":
      next.shipmentState = forward(shipmentRank, next.shipmentState, "BOOKED");
      next.carrier ||= event.carrier;
      next.trackingNumber ||= event.trackingNumber;
      break;
    case "ShipmentFailed":
      next.shipmentState = forward(shipmentRank, next.shipmentState, "FAILED");
      break;
    case "ShipmentCancelled":
      next.shipmentState = forward(shipmentRank, next.shipmentState, "CANCELLED");
      break;
  }
  // Before OrderPlaced, the earliest event seen sorts the row (the same whatever the order of arrival).
  if (!next.placed && time < next.listTime) next.listTime = time;
  const changed = before === undefined || !sameSummary(before, next);
  if (changed && before !== undefined && time > next.updateTime) next.updateTime = time;
  return { state: changed || before === undefined ? next : before, changed };
}

function forward<S extends string>(rank: Record<S, number>, current: S, target: S): S {
  return rank[target] > rank[current] ? target : current;
}

/** Equal in everything an event can change but update_time (which follows from the events that did change it). */
export function sameSummary(a: SummaryState, b: SummaryState): boolean {
  return (
    a.customerId === b.customerId &&
    a.placed === b.placed &&
    a.status === b.status &&
    a.cancelReason === b.cancelReason &&
    a.cancelMessage === b.cancelMessage &&
    a.total?.currencyCode === b.total?.currencyCode &&
    a.total?.unitsMinor === b.total?.unitsMinor &&
    a.paymentState === b.paymentState &&
    a.shipmentState === b.shipmentState &&
    a.carrier === b.carrier &&
    a.trackingNumber === b.trackingNumber &&
    a.placeTime?.getTime() === b.placeTime?.getTime() &&
    a.listTime.getTime() === b.listTime.getTime()
  );
}
