// decide() over every saga state × every event, without a database: each row
// names what happens and pins the exact row changes and emitted events. Then a
// few whole sagas, folded through decide() the way the edge applies it, with
// their answers repeated and out of order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  asPlaced,
  decide,
  fold,
  type Money,
  type ReasonName,
  type SagaChanges,
  type SagaEmit,
  type SagaEvent,
  type SagaState,
} from "./saga-decision.ts";

const eur = (unitsMinor: bigint): Money => ({ currencyCode: "EUR", unitsMinor });
const orderId = "4f8e2c1a-6b3d-4e5f-9a7b-0c1d2e3f4a5b";
const customerId = "9b1c3d5e-7f2a-4b6c-8d0e-1f2a3b4c5d6e";
const items = [
  { productId: "1a2b3c4d-0000-4000-8000-00000000b00c", quantity: 2, unitPrice: eur(4499n) },
  { productId: "1a2b3c4d-0000-4000-8000-0000000000c6", quantity: 1, unitPrice: eur(1499n) },
];
const total = eur(10497n);
const deadline = new Date("2030-06-01T12:00:00.000Z");
const deadlineMessage = "the saga did not finish by 2030-06-01T12:00:00.000Z";

// ── The states: one per distinct situation an order's saga can be in.

const placed: SagaState = {
  orderId,
  customerId,
  items,
  total,
  deadline,
  status: "PENDING",
  step: "AWAITING_STOCK",
  stockReserved: false,
  paymentCaptured: false,
  shipmentBooked: false,
  stockCommitted: false,
  stockReleased: false,
  paymentRefunded: false,
  shipmentCancelled: false,
  cancelReason: null,
  cancelMessage: "",
};
const reserved: SagaState = { ...placed, step: "AWAITING_PAYMENT", stockReserved: true };
const captured: SagaState = { ...reserved, step: "AWAITING_SHIPMENT", paymentCaptured: true };
const confirmed: SagaState = { ...captured, status: "CONFIRMED", step: "COMPLETING", shipmentBooked: true };
const cancelledWaiting = { status: "CANCELLED", step: "COMPENSATING" } as const;
const cancelledByDeadline: SagaState = { ...reserved, ...cancelledWaiting, cancelReason: "DEADLINE_EXCEEDED", cancelMessage: deadlineMessage };
const lateCapture: SagaState = { ...cancelledByDeadline, paymentCaptured: true };
const lateBooking: SagaState = { ...captured, ...cancelledWaiting, cancelReason: "DEADLINE_EXCEEDED", cancelMessage: deadlineMessage, shipmentBooked: true };
const carrierRefusal = "CARRIER_UNAVAILABLE: no carrier capacity";

const states = {
  /** OrderPlaced emitted; inventory has not answered. */
  awaitingStock: placed,
  /** PaymentRequested emitted; payments has not answered. */
  awaitingPayment: reserved,
  /** ShipmentRequested emitted; shipping has not answered. */
  awaitingShipment: captured,
  /** OrderConfirmed emitted; waiting for inventory to commit. */
  completing: confirmed,
  /** Confirmed and committed: the saga ended. */
  confirmedEnded: { ...confirmed, step: "ENDED", stockCommitted: true },
  /** The customer cancelled before inventory answered; waiting for StockReleased. */
  cancelledAwaitingStock: { ...placed, ...cancelledWaiting, cancelReason: "CUSTOMER_REQUESTED", cancelMessage: "cancelled by the customer" },
  /** The deadline cancelled it after the reservation; waiting for StockReleased. */
  cancelledReserved: cancelledByDeadline,
  /** ...and the capture landed after that cancel: waiting for StockReleased and PaymentRefunded. */
  cancelledCaptured: lateCapture,
  /** ...stock released, the refund still outstanding. */
  cancelledAwaitingRefund: { ...lateCapture, stockReleased: true },
  /** ...refunded, the release still outstanding. */
  cancelledAwaitingRelease: { ...lateCapture, paymentRefunded: true },
  /** Cancelled and released, nothing captured: the saga ended. */
  cancelledEnded: { ...cancelledByDeadline, step: "ENDED", stockReleased: true },
  /** Cancelled, released and the late capture refunded: the saga ended. */
  cancelledRefundedEnded: { ...lateCapture, step: "ENDED", stockReleased: true, paymentRefunded: true },
  /** Shipping could not book: waiting for StockReleased and PaymentRefunded. */
  cancelledShipmentFailed: { ...captured, ...cancelledWaiting, cancelReason: "SHIPMENT_FAILED", cancelMessage: carrierRefusal },
  /** The deadline cancelled it after the capture and the booking landed after that: waiting for all three compensations. */
  cancelledBooked: lateBooking,
  /** ...released and refunded, the shipment's cancel still outstanding. */
  cancelledAwaitingShipmentCancel: { ...lateBooking, stockReleased: true, paymentRefunded: true },
} satisfies Record<string, SagaState>;

// ── The events, one of each.

type EventType = SagaEvent["type"];
const rejection = "1a2b3c4d-0000-4000-8000-00000000b00c: INSUFFICIENT_STOCK (requested 2, available 1)";
const events: { [T in EventType]: Extract<SagaEvent, { type: T }> } = {
  PlaceOrder: { type: "PlaceOrder" },
  StockReserved: { type: "StockReserved" },
  StockRejected: { type: "StockRejected", detail: rejection },
  PaymentCaptured: { type: "PaymentCaptured" },
  PaymentDeclined: { type: "PaymentDeclined", detail: "card expired" },
  StockCommitted: { type: "StockCommitted" },
  StockReleased: { type: "StockReleased" },
  PaymentRefunded: { type: "PaymentRefunded" },
  ShipmentBooked: { type: "ShipmentBooked" },
  ShipmentFailed: { type: "ShipmentFailed", detail: carrierRefusal },
  ShipmentCancelled: { type: "ShipmentCancelled" },
  DeadlinePassed: { type: "DeadlinePassed" },
  CancelOrder: { type: "CancelOrder" },
};

// ── What the decisions write and emit, spelled out (not computed by the code under test).

const orderPlaced: SagaEmit = { type: "OrderPlaced", orderId, customerId, items, total, deadline };
const paymentRequested: SagaEmit = { type: "PaymentRequested", orderId, customerId, amount: total };
const shipmentRequested: SagaEmit = { type: "ShipmentRequested", orderId, customerId, items };
const orderConfirmed: SagaEmit = { type: "OrderConfirmed", orderId, customerId, total };
const requestShipment: Expected = { changes: { paymentCaptured: true, step: "AWAITING_SHIPMENT" }, emits: [shipmentRequested] };
const confirm: Expected = { changes: { status: "CONFIRMED", shipmentBooked: true, step: "COMPLETING" }, emits: [orderConfirmed] };
const refusedConfirmed = `order ${orderId} is already confirmed and cannot be cancelled`;

/** A PENDING order's cancel: the row's changes and OrderCancelled with what orders had seen. */
function cancelled(reason: ReasonName, message: string, seen: { stockReserved: boolean; paymentCaptured?: boolean }): Expected {
  return {
    changes: { status: "CANCELLED", cancelReason: reason, cancelMessage: message, step: "COMPENSATING" },
    emits: [
      {
        type: "OrderCancelled",
        orderId,
        customerId,
        reason,
        message,
        stockReserved: seen.stockReserved,
        paymentCaptured: seen.paymentCaptured ?? false,
        shipmentBooked: false,
      },
    ],
  };
}

/** A case: what it shows, and the exact decision (absent changes and emits mean none). */
interface Expected {
  name?: string;
  changes?: SagaChanges;
  emits?: SagaEmit[];
  refusal?: string;
}
const ignored: Expected = { name: "changes nothing" };
const named = (name: string, expected: Expected): Expected => ({ ...expected, name });

// ── The table: every state × every event (the types make a missing pair a compile error).

const table: { [S in keyof typeof states]: { [T in EventType]: Expected } } = {
  awaitingStock: {
    PlaceOrder: named("starts the saga: OrderPlaced", { emits: [orderPlaced] }),
    StockReserved: named("records the reservation and requests the payment", {
      changes: { stockReserved: true, step: "AWAITING_PAYMENT" },
      emits: [paymentRequested],
    }),
    StockRejected: named("cancels OUT_OF_STOCK, nothing reserved", cancelled("OUT_OF_STOCK", rejection, { stockReserved: false })),
    // Out of order: payments only captures after PaymentRequested. Today any PENDING order moves on with a capture.
    PaymentCaptured: named("requests the shipment although no reservation was seen", requestShipment),
    PaymentDeclined: named("cancels PAYMENT_DECLINED", cancelled("PAYMENT_DECLINED", "card expired", { stockReserved: false })),
    // Out of order too: shipping only books after ShipmentRequested. Any PENDING order confirms on a booking.
    ShipmentBooked: named("confirms although nothing else was seen", confirm),
    ShipmentFailed: named("cancels SHIPMENT_FAILED", cancelled("SHIPMENT_FAILED", carrierRefusal, { stockReserved: false })),
    ShipmentCancelled: named("records a shipment's cancel of an order not cancelled; nothing moves", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit that came before any confirmation; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("records a release for an order never reserved; nothing moves", { changes: { stockReleased: true } }),
    PaymentRefunded: named("records a refund of nothing; nothing moves", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("cancels DEADLINE_EXCEEDED", cancelled("DEADLINE_EXCEEDED", deadlineMessage, { stockReserved: false })),
    CancelOrder: named("cancels CUSTOMER_REQUESTED", cancelled("CUSTOMER_REQUESTED", "cancelled by the customer", { stockReserved: false })),
  },
  awaitingPayment: {
    PlaceOrder: named("does not start the saga again", ignored),
    StockReserved: named("duplicate: recorded again, no second PaymentRequested", { changes: { stockReserved: true } }),
    // Out of order (inventory answers one order once): a PENDING order cancels on any rejection.
    StockRejected: named("cancels OUT_OF_STOCK, telling inventory stock was reserved", cancelled("OUT_OF_STOCK", rejection, { stockReserved: true })),
    PaymentCaptured: named("requests the shipment: ShipmentRequested", requestShipment),
    PaymentDeclined: named("cancels PAYMENT_DECLINED, stock to release", cancelled("PAYMENT_DECLINED", "card expired", { stockReserved: true })),
    ShipmentBooked: named("confirms although no capture was seen", confirm),
    ShipmentFailed: named("cancels SHIPMENT_FAILED, stock to release", cancelled("SHIPMENT_FAILED", carrierRefusal, { stockReserved: true })),
    ShipmentCancelled: named("records a shipment's cancel of an order not cancelled; nothing moves", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit that came before the confirmation; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("records a release of an order not cancelled; nothing moves", { changes: { stockReleased: true } }),
    PaymentRefunded: named("records a refund before any capture; nothing moves", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("cancels DEADLINE_EXCEEDED, stock to release", cancelled("DEADLINE_EXCEEDED", deadlineMessage, { stockReserved: true })),
    CancelOrder: named("cancels CUSTOMER_REQUESTED, stock to release", cancelled("CUSTOMER_REQUESTED", "cancelled by the customer", { stockReserved: true })),
  },
  awaitingShipment: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: named("cancels OUT_OF_STOCK, stock to release and a capture to refund", cancelled("OUT_OF_STOCK", rejection, { stockReserved: true, paymentCaptured: true })),
    PaymentCaptured: named("duplicate: recorded again, no second ShipmentRequested", { changes: { paymentCaptured: true } }),
    PaymentDeclined: named("cancels PAYMENT_DECLINED, the capture it contradicts refunded", cancelled("PAYMENT_DECLINED", "card expired", { stockReserved: true, paymentCaptured: true })),
    ShipmentBooked: named("confirms: OrderConfirmed", confirm),
    ShipmentFailed: named("cancels SHIPMENT_FAILED: release the stock, refund the capture", cancelled("SHIPMENT_FAILED", carrierRefusal, { stockReserved: true, paymentCaptured: true })),
    ShipmentCancelled: named("records a shipment's cancel of an order not cancelled; nothing moves", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit that came before the confirmation; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("records a release of an order not cancelled; nothing moves", { changes: { stockReleased: true } }),
    PaymentRefunded: named("records a refund of an order not cancelled; nothing moves", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("cancels DEADLINE_EXCEEDED: release and refund", cancelled("DEADLINE_EXCEEDED", deadlineMessage, { stockReserved: true, paymentCaptured: true })),
    CancelOrder: named("cancels CUSTOMER_REQUESTED: release and refund", cancelled("CUSTOMER_REQUESTED", "cancelled by the customer", { stockReserved: true, paymentCaptured: true })),
  },
  completing: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: named("too late: the order is confirmed", ignored),
    PaymentCaptured: named("duplicate: nothing to do", ignored),
    PaymentDeclined: named("too late: the order is confirmed", ignored),
    ShipmentBooked: named("duplicate: no second OrderConfirmed", ignored),
    ShipmentFailed: named("too late: the order is confirmed", ignored),
    ShipmentCancelled: named("records a shipment's cancel; the order stays confirmed", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("ends the saga", { changes: { stockCommitted: true, step: "ENDED" } }),
    StockReleased: named("records a release of a confirmed order; it stays confirmed", { changes: { stockReleased: true } }),
    PaymentRefunded: named("records a refund (the Refund RPC); it stays confirmed", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("no effect: the order is confirmed (final)", ignored),
    CancelOrder: named("is refused: already confirmed", { refusal: refusedConfirmed }),
  },
  confirmedEnded: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("duplicate: nothing to do", ignored),
    PaymentDeclined: ignored,
    ShipmentBooked: named("duplicate: no second OrderConfirmed", ignored),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("records a shipment's cancel; the order stays confirmed", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("duplicate: recorded again, the saga stays ended", { changes: { stockCommitted: true } }),
    StockReleased: named("records a release of a confirmed order; it stays confirmed", { changes: { stockReleased: true } }),
    PaymentRefunded: named("records a refund (the Refund RPC); it stays confirmed", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("no effect once the order ended", ignored),
    CancelOrder: named("is refused: already confirmed", { refusal: refusedConfirmed }),
  },
  cancelledAwaitingStock: {
    PlaceOrder: ignored,
    StockReserved: named("a reservation after the cancel: recorded, no PaymentRequested", { changes: { stockReserved: true } }),
    StockRejected: named("too late: already cancelled", ignored),
    PaymentCaptured: named("a capture after the cancel: recorded, not confirmed", { changes: { paymentCaptured: true } }),
    PaymentDeclined: named("too late: already cancelled", ignored),
    ShipmentBooked: named("a booking after the cancel: recorded, not confirmed; shipping cancels it", { changes: { shipmentBooked: true } }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("recorded; other compensations still outstanding", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("ends the saga: nothing was captured", { changes: { stockReleased: true, step: "ENDED" } }),
    PaymentRefunded: named("recorded; the release is still outstanding", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("no effect once the order ended", ignored),
    CancelOrder: named("already cancelled: answered as it is, no second OrderCancelled", ignored),
  },
  cancelledReserved: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("a capture after the cancel: recorded, not confirmed; payments refunds it", { changes: { paymentCaptured: true } }),
    PaymentDeclined: named("the decline of a cancelled order: nothing to do", ignored),
    ShipmentBooked: named("a booking after the cancel: recorded, not confirmed; shipping cancels it", { changes: { shipmentBooked: true } }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("recorded; other compensations still outstanding", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("ends the saga: nothing was captured", { changes: { stockReleased: true, step: "ENDED" } }),
    PaymentRefunded: named("recorded; the release is still outstanding", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("no effect once the order ended", ignored),
    CancelOrder: named("already cancelled: no second OrderCancelled", ignored),
  },
  cancelledCaptured: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("duplicate capture: recorded again, still waiting for the refund", { changes: { paymentCaptured: true } }),
    PaymentDeclined: ignored,
    ShipmentBooked: named("a booking after the cancel: recorded, not confirmed; shipping cancels it", { changes: { shipmentBooked: true } }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("recorded; other compensations still outstanding", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("recorded; the refund is still outstanding", { changes: { stockReleased: true } }),
    PaymentRefunded: named("recorded; the release is still outstanding", { changes: { paymentRefunded: true } }),
    DeadlinePassed: ignored,
    CancelOrder: ignored,
  },
  cancelledAwaitingRefund: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("duplicate capture: recorded again", { changes: { paymentCaptured: true } }),
    PaymentDeclined: ignored,
    ShipmentBooked: named("a booking after the cancel: recorded, not confirmed; shipping cancels it", { changes: { shipmentBooked: true } }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("recorded; other compensations still outstanding", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("duplicate release: the refund is still outstanding", { changes: { stockReleased: true } }),
    PaymentRefunded: named("ends the saga", { changes: { paymentRefunded: true, step: "ENDED" } }),
    DeadlinePassed: ignored,
    CancelOrder: ignored,
  },
  cancelledAwaitingRelease: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("the capture again after its refund: recorded, still waiting for the release", { changes: { paymentCaptured: true } }),
    PaymentDeclined: ignored,
    ShipmentBooked: named("a booking after the cancel: recorded, not confirmed; shipping cancels it", { changes: { shipmentBooked: true } }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("recorded; other compensations still outstanding", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("ends the saga", { changes: { stockReleased: true, step: "ENDED" } }),
    PaymentRefunded: named("duplicate refund: the release is still outstanding", { changes: { paymentRefunded: true } }),
    DeadlinePassed: ignored,
    CancelOrder: ignored,
  },
  cancelledEnded: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again, the saga stays ended", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("a capture after the saga ended: reopens it to wait for the refund, not confirmed", {
      changes: { paymentCaptured: true, step: "COMPENSATING" },
    }),
    PaymentDeclined: ignored,
    ShipmentBooked: named("a booking after the saga ended: reopens it to wait for the shipment's cancel", {
      changes: { shipmentBooked: true, step: "COMPENSATING" },
    }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("a shipment's cancel before its booking: recorded, the saga stays ended", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("duplicate release: the saga stays ended", { changes: { stockReleased: true } }),
    PaymentRefunded: named("a refund before its capture: recorded, the saga stays ended", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("no effect once the order ended", ignored),
    CancelOrder: named("already cancelled: no second OrderCancelled", ignored),
  },
  cancelledRefundedEnded: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("duplicate capture after its refund: the saga stays ended", { changes: { paymentCaptured: true } }),
    PaymentDeclined: ignored,
    ShipmentBooked: named("a booking after the saga ended: reopens it to wait for the shipment's cancel", {
      changes: { shipmentBooked: true, step: "COMPENSATING" },
    }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("a shipment's cancel before its booking: recorded, the saga stays ended", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("duplicate release: the saga stays ended", { changes: { stockReleased: true } }),
    PaymentRefunded: named("duplicate refund: the saga stays ended", { changes: { paymentRefunded: true } }),
    DeadlinePassed: named("no effect once the order ended", ignored),
    CancelOrder: ignored,
  },
  cancelledShipmentFailed: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("duplicate capture: recorded again, still waiting for the refund", { changes: { paymentCaptured: true } }),
    PaymentDeclined: ignored,
    ShipmentBooked: named("a booking after the failure: recorded; shipping cancels it", { changes: { shipmentBooked: true } }),
    ShipmentFailed: named("duplicate failure: no second OrderCancelled", ignored),
    ShipmentCancelled: named("recorded; the release and the refund are still outstanding", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("recorded; the refund is still outstanding", { changes: { stockReleased: true } }),
    PaymentRefunded: named("recorded; the release is still outstanding", { changes: { paymentRefunded: true } }),
    DeadlinePassed: ignored,
    CancelOrder: ignored,
  },
  cancelledBooked: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("duplicate capture: recorded again", { changes: { paymentCaptured: true } }),
    PaymentDeclined: ignored,
    ShipmentBooked: named("duplicate booking: recorded again, still waiting for its cancel", { changes: { shipmentBooked: true } }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("recorded; the release and the refund are still outstanding", { changes: { shipmentCancelled: true } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("recorded; the refund and the shipment's cancel are still outstanding", { changes: { stockReleased: true } }),
    PaymentRefunded: named("recorded; the release and the shipment's cancel are still outstanding", { changes: { paymentRefunded: true } }),
    DeadlinePassed: ignored,
    CancelOrder: ignored,
  },
  cancelledAwaitingShipmentCancel: {
    PlaceOrder: ignored,
    StockReserved: named("duplicate: recorded again", { changes: { stockReserved: true } }),
    StockRejected: ignored,
    PaymentCaptured: named("the capture again after its refund: recorded", { changes: { paymentCaptured: true } }),
    PaymentDeclined: ignored,
    ShipmentBooked: named("duplicate booking: recorded again", { changes: { shipmentBooked: true } }),
    ShipmentFailed: ignored,
    ShipmentCancelled: named("ends the saga", { changes: { shipmentCancelled: true, step: "ENDED" } }),
    StockCommitted: named("records a commit of a cancelled order; nothing moves", { changes: { stockCommitted: true } }),
    StockReleased: named("duplicate release: the shipment's cancel is still outstanding", { changes: { stockReleased: true } }),
    PaymentRefunded: named("duplicate refund: the shipment's cancel is still outstanding", { changes: { paymentRefunded: true } }),
    DeadlinePassed: ignored,
    CancelOrder: ignored,
  },
};

const decision = ({ changes = {}, emits = [], refusal }: Expected) => (refusal ? { changes, emits, refusal } : { changes, emits });

describe("decide: every saga state × every event", () => {
  for (const [stateName, row] of Object.entries(table)) {
    const state: SagaState = states[stateName as keyof typeof states];
    describe(stateName, () => {
      for (const [type, expected] of Object.entries(row)) {
        it(`${type}: ${expected.name ?? "changes nothing"}`, () => {
          assert.deepEqual(decide(state, events[type as EventType]), decision(expected));
        });
      }
    });
  }

  it("keeps the row's cancel message to 1000 characters; OrderCancelled carries all of it", () => {
    const detail = "x".repeat(1500);
    const { changes, emits } = decide(reserved, { type: "StockRejected", detail });
    assert.equal(changes.cancelMessage, detail.slice(0, 1000));
    assert.deepEqual(emits.map((e) => e.type === "OrderCancelled" && e.message), [detail]);
  });
});

// ── Past the deadline: an answer that arrives late never moves a PENDING order forward.

describe("decide: answers after the deadline (now given, on the database's clock)", () => {
  const before = new Date(deadline.getTime() - 1);
  const after = new Date(deadline.getTime() + 1);
  const late = (fact: SagaChanges, seen: { stockReserved: boolean; paymentCaptured: boolean; shipmentBooked?: boolean }): Expected => ({
    changes: { ...fact, status: "CANCELLED", cancelReason: "DEADLINE_EXCEEDED", cancelMessage: deadlineMessage, step: "COMPENSATING" },
    emits: [{ type: "OrderCancelled", orderId, customerId, reason: "DEADLINE_EXCEEDED", message: deadlineMessage, shipmentBooked: false, ...seen }],
  });
  const answers = ["StockReserved", "PaymentCaptured", "ShipmentBooked"] as const;
  const overdue: Array<{ state: keyof typeof states; event: (typeof answers)[number]; expected: Expected; name: string }> = [
    { state: "awaitingStock", event: "StockReserved", name: "a late reservation cancels instead of requesting the payment; inventory releases it", expected: late({ stockReserved: true }, { stockReserved: true, paymentCaptured: false }) },
    { state: "awaitingPayment", event: "PaymentCaptured", name: "a late capture cancels instead of requesting the shipment; payments refunds it", expected: late({ paymentCaptured: true }, { stockReserved: true, paymentCaptured: true }) },
    { state: "awaitingShipment", event: "ShipmentBooked", name: "a late booking cancels instead of confirming; shipping cancels it, payments refunds", expected: late({ shipmentBooked: true }, { stockReserved: true, paymentCaptured: true, shipmentBooked: true }) },
    { state: "awaitingStock", event: "ShipmentBooked", name: "a late booking with nothing else seen cancels too", expected: late({ shipmentBooked: true }, { stockReserved: false, paymentCaptured: false, shipmentBooked: true }) },
    { state: "awaitingStock", event: "PaymentCaptured", name: "a late capture with no reservation seen cancels too", expected: late({ paymentCaptured: true }, { stockReserved: false, paymentCaptured: true }) },
  ];
  for (const { state, event, expected, name } of overdue) {
    it(`${state} × ${event} after the deadline: ${name}`, () => {
      assert.deepEqual(decide(states[state], events[event], after), decision(expected));
    });
    it(`${state} × ${event} just before the deadline: as without a clock`, () => {
      assert.deepEqual(decide(states[state], events[event], before), decision(table[state][event]));
    });
  }

  it("every other state and event decides as without a clock, late or not", () => {
    for (const [stateName, row] of Object.entries(table)) {
      for (const [type, expected] of Object.entries(row)) {
        if (overdue.some((o) => o.state === stateName && o.event === type)) continue;
        if (states[stateName as keyof typeof states].status === "PENDING" && (answers as readonly string[]).includes(type)) continue;
        assert.deepEqual(decide(states[stateName as keyof typeof states], events[type as EventType], after), decision(expected), `${stateName} × ${type}`);
      }
    }
  });

  it("a late capture's saga ends only once the release and the refund are in", () => {
    const { state, emits } = run([PlaceOrder, StockReserved, PaymentCaptured, StockReleased, PaymentRefunded], placed, after);
    assert.equal(state.status, "CANCELLED");
    assert.equal(state.step, "ENDED");
    assert.deepEqual(emits.map((e) => e.type), ["OrderPlaced", "OrderCancelled"]);
  });
});

// ── Whole sagas: each event's changes applied to the state as the edge writes them to the row.

function run(events: SagaEvent[], from: SagaState = placed, now?: Date): { state: SagaState; emits: SagaEmit[] } {
  return fold(from, events.map((event) => ({ event, at: now })));
}

const twice = (...events: SagaEvent[]): SagaEvent[] => events.flatMap((event) => [event, event]);
const {
  PlaceOrder,
  StockReserved,
  StockRejected,
  PaymentCaptured,
  PaymentDeclined,
  ShipmentBooked,
  ShipmentFailed,
  ShipmentCancelled,
  StockCommitted,
  StockReleased,
  PaymentRefunded,
  DeadlinePassed,
  CancelOrder,
} = events;

const sagas: Array<{ name: string; events: SagaEvent[]; ends: SagaState; emits: SagaEmit[] }> = [
  {
    name: "confirms once though every answer comes twice",
    events: [PlaceOrder, ...twice(StockReserved, PaymentCaptured, ShipmentBooked, StockCommitted)],
    ends: states.confirmedEnded,
    emits: [orderPlaced, paymentRequested, shipmentRequested, orderConfirmed],
  },
  {
    name: "a failed shipment cancels once, and the saga ends when the stock is back and the capture refunded, every answer twice",
    events: [PlaceOrder, ...twice(StockReserved, PaymentCaptured, ShipmentFailed, StockReleased, PaymentRefunded)],
    ends: { ...states.cancelledShipmentFailed, step: "ENDED", stockReleased: true, paymentRefunded: true },
    emits: [orderPlaced, paymentRequested, shipmentRequested, ...cancelled("SHIPMENT_FAILED", carrierRefusal, { stockReserved: true, paymentCaptured: true }).emits!],
  },
  {
    name: "a booking that lands after the deadline's cancel is never confirmed: the saga waits for the shipment's cancel",
    events: [PlaceOrder, StockReserved, PaymentCaptured, DeadlinePassed, StockReleased, PaymentRefunded, ShipmentBooked, ShipmentCancelled, DeadlinePassed],
    ends: { ...states.cancelledAwaitingShipmentCancel, step: "ENDED", shipmentCancelled: true },
    emits: [orderPlaced, paymentRequested, shipmentRequested, ...cancelled("DEADLINE_EXCEEDED", deadlineMessage, { stockReserved: true, paymentCaptured: true }).emits!],
  },
  {
    name: "a declined payment cancels once and ends when the stock is back, every answer twice",
    events: [PlaceOrder, ...twice(StockReserved, PaymentDeclined, StockReleased)],
    ends: { ...reserved, status: "CANCELLED", step: "ENDED", stockReleased: true, cancelReason: "PAYMENT_DECLINED", cancelMessage: "card expired" },
    emits: [orderPlaced, paymentRequested, ...cancelled("PAYMENT_DECLINED", "card expired", { stockReserved: true }).emits!],
  },
  {
    name: "out of stock cancels, and the release inventory answers with ends it",
    events: [PlaceOrder, StockRejected, StockReleased],
    ends: { ...placed, status: "CANCELLED", step: "ENDED", stockReleased: true, cancelReason: "OUT_OF_STOCK", cancelMessage: rejection },
    emits: [orderPlaced, ...cancelled("OUT_OF_STOCK", rejection, { stockReserved: false }).emits!],
  },
  {
    name: "a capture that lands after the deadline's cancel is never confirmed: the saga waits for its refund",
    events: [PlaceOrder, StockReserved, DeadlinePassed, StockReleased, PaymentCaptured, PaymentRefunded, DeadlinePassed],
    ends: states.cancelledRefundedEnded,
    emits: [orderPlaced, paymentRequested, ...cancelled("DEADLINE_EXCEEDED", deadlineMessage, { stockReserved: true }).emits!],
  },
  {
    name: "a capture that lands after the customer's cancel, before the release: ends after release and refund",
    events: [PlaceOrder, StockReserved, CancelOrder, PaymentCaptured, PaymentRefunded, StockReleased],
    ends: { ...states.cancelledRefundedEnded, cancelReason: "CUSTOMER_REQUESTED", cancelMessage: "cancelled by the customer" },
    emits: [orderPlaced, paymentRequested, ...cancelled("CUSTOMER_REQUESTED", "cancelled by the customer", { stockReserved: true }).emits!],
  },
  {
    name: "a reservation that lands after the customer's cancel requests no payment",
    events: [PlaceOrder, CancelOrder, StockReserved, StockReleased, CancelOrder],
    ends: { ...states.cancelledAwaitingStock, step: "ENDED", stockReserved: true, stockReleased: true },
    emits: [orderPlaced, ...cancelled("CUSTOMER_REQUESTED", "cancelled by the customer", { stockReserved: false }).emits!],
  },
  {
    // PlaceOrder calls the saga only for the order it inserted: a replay is answered by the idempotency key.
    name: "PlaceOrder is not deduplicated here: decided twice, it would emit OrderPlaced twice",
    events: [PlaceOrder, PlaceOrder],
    ends: placed,
    emits: [orderPlaced, orderPlaced],
  },
  {
    name: "neither the deadline nor a cancel touches a confirmed order",
    events: [PlaceOrder, StockReserved, PaymentCaptured, ShipmentBooked, DeadlinePassed, CancelOrder, StockCommitted, DeadlinePassed],
    ends: states.confirmedEnded,
    emits: [orderPlaced, paymentRequested, shipmentRequested, orderConfirmed],
  },
];

describe("decide: whole sagas, with repeated and late events", () => {
  for (const saga of sagas) {
    it(saga.name, () => {
      const { state, emits } = run(saga.events);
      assert.deepEqual(state, saga.ends);
      assert.deepEqual(emits, saga.emits);
    });
  }
});

describe("asPlaced: the start of every fold", () => {
  it("forgets everything the saga heard and keeps the order as placed", () => {
    for (const state of Object.values(states)) assert.deepEqual(asPlaced(state), placed);
  });
});
