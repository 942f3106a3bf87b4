// The order saga as a pure decision: from what orders knows of one order and
// one thing that happened to it, what to write to the order's row and which
// events to emit. No database, outbox, clock or logger here: order-saga.ts
// loads the locked row, calls decide() and applies the decision in the same
// transaction.
//
//   PlaceOrder ──OrderPlaced──▶ inventory
//   StockReserved ──PaymentRequested──▶ payments      StockRejected ──▶ cancel
//   PaymentCaptured ──ShipmentRequested──▶ shipping    PaymentDeclined ──▶ cancel
//   ShipmentBooked ──OrderConfirmed──▶ inventory commits, notifications
//   ShipmentFailed / deadline / CancelOrder ──OrderCancelled──▶ inventory releases, payments refunds,
//                                                              shipping cancels a booked shipment
//   StockCommitted, StockReleased, PaymentRefunded, ShipmentCancelled ──▶ the saga ends
//
// Only a PENDING order moves forward. An answer that no longer applies (the
// order moved on) or comes twice is still recorded, so the row says what the
// other services did, but it starts nothing: late and repeated events are
// harmless. Given the time (`now`, the database's clock), an answer that
// arrives after the deadline never moves an order forward: it cancels it
// (DEADLINE_EXCEEDED) as the sweeper would, so no order is ever confirmed late
// and no payment is requested for one that is already overdue.

export type StatusName = "PENDING" | "CONFIRMED" | "CANCELLED";
export type StepName = "AWAITING_STOCK" | "AWAITING_PAYMENT" | "AWAITING_SHIPMENT" | "COMPLETING" | "COMPENSATING" | "ENDED";
export type ReasonName = "OUT_OF_STOCK" | "PAYMENT_DECLINED" | "SHIPMENT_FAILED" | "DEADLINE_EXCEEDED" | "CUSTOMER_REQUESTED";

export interface Money {
  currencyCode: string;
  unitsMinor: bigint;
}

export interface OrderLine {
  productId: string;
  quantity: number;
  unitPrice: Money;
}

/** One order as the saga sees it: the order as placed (what its events carry) and the saga columns of its row. */
export interface SagaState {
  orderId: string;
  customerId: string;
  items: OrderLine[];
  total: Money;
  /** The saga must end by then; the edge fires DeadlinePassed once the clock is past it. */
  deadline: Date;

  status: StatusName;
  step: StepName;
  /** What inventory, payments and shipping have told orders so far. */
  stockReserved: boolean;
  paymentCaptured: boolean;
  shipmentBooked: boolean;
  stockCommitted: boolean;
  stockReleased: boolean;
  paymentRefunded: boolean;
  shipmentCancelled: boolean;
  cancelReason: ReasonName | null;
  cancelMessage: string;
}

/** What to write to the order's row; a field that is absent stays as it is. */
export type SagaChanges = Partial<
  Pick<
    SagaState,
    | "status"
    | "step"
    | "cancelReason"
    | "cancelMessage"
    | "stockReserved"
    | "paymentCaptured"
    | "shipmentBooked"
    | "stockCommitted"
    | "stockReleased"
    | "paymentRefunded"
    | "shipmentCancelled"
  >
>;

/** Everything that moves the saga: the RPCs, inventory's, payments' and shipping's answers, and the deadline. */
export type SagaEvent =
  /** PlaceOrder has just stored the order. */
  | { type: "PlaceOrder" }
  | { type: "StockReserved" }
  | { type: "StockRejected"; detail: string }
  | { type: "StockCommitted" }
  | { type: "StockReleased" }
  | { type: "PaymentCaptured" }
  | { type: "PaymentDeclined"; detail: string }
  | { type: "PaymentRefunded" }
  | { type: "ShipmentBooked" }
  | { type: "ShipmentFailed"; detail: string }
  | { type: "ShipmentCancelled" }
  /** The order's deadline has passed (the sweeper saw it on the database clock). */
  | { type: "DeadlinePassed" }
  /** CancelOrder, called by the customer. */
  | { type: "CancelOrder" };

/** A follow-up event for the outbox (meshmart.orders.v1), with its fields. */
export type SagaEmit =
  | { type: "OrderPlaced"; orderId: string; customerId: string; items: OrderLine[]; total: Money; deadline: Date }
  | { type: "PaymentRequested"; orderId: string; customerId: string; amount: Money }
  | { type: "ShipmentRequested"; orderId: string; customerId: string; items: OrderLine[] }
  | { type: "OrderConfirmed"; orderId: string; customerId: string; total: Money }
  | {
      type: "OrderCancelled";
      orderId: string;
      customerId: string;
      reason: ReasonName;
      message: string;
      stockReserved: boolean;
      paymentCaptured: boolean;
      shipmentBooked: boolean;
    };

export interface SagaDecision {
  changes: SagaChanges;
  emits: SagaEmit[];
  /** Set when a command is refused (nothing changes then); the caller answers with it. */
  refusal?: string;
}

/** The longest cancel message the row keeps; OrderCancelled carries the whole message. */
export const cancelMessageLimit = 1000;

export function decide(state: SagaState, event: SagaEvent, now?: Date): SagaDecision {
  if (now && state.status === "PENDING" && now.getTime() >= state.deadline.getTime()) {
    if (event.type === "StockReserved") return overdue(state, { stockReserved: true });
    if (event.type === "PaymentCaptured") return overdue(state, { paymentCaptured: true });
    if (event.type === "ShipmentBooked") return overdue(state, { shipmentBooked: true });
  }
  switch (event.type) {
    case "PlaceOrder":
      // Only the order just stored starts its saga; a replayed PlaceOrder never gets here.
      if (state.status === "PENDING" && state.step === "AWAITING_STOCK") return emit(orderPlaced(state));
      return nothing();

    case "StockReserved":
      if (state.status === "PENDING" && state.step === "AWAITING_STOCK") {
        return { changes: { stockReserved: true, step: "AWAITING_PAYMENT" }, emits: [paymentRequested(state)] };
      }
      // Repeated, or the order was cancelled meanwhile: inventory releases on OrderCancelled, which follows OrderPlaced.
      return record(state, { stockReserved: true });

    case "StockRejected":
      return state.status === "PENDING" ? cancel(state, "OUT_OF_STOCK", event.detail) : nothing();

    case "PaymentCaptured":
      if (state.status === "PENDING" && !state.paymentCaptured) {
        return { changes: { paymentCaptured: true, step: "AWAITING_SHIPMENT" }, emits: [shipmentRequested(state)] };
      }
      if (state.status === "CANCELLED") {
        // A capture that landed after the cancel: payments refunds it on OrderCancelled; wait for
        // that refund (the saga reopens if it had ended), unless it is already here.
        return record(state, { paymentCaptured: true }, state.paymentRefunded ? undefined : "COMPENSATING");
      }
      return state.status === "PENDING" ? record(state, { paymentCaptured: true }) : nothing(); // a repeat

    case "PaymentDeclined":
      return state.status === "PENDING" ? cancel(state, "PAYMENT_DECLINED", event.detail) : nothing();

    case "ShipmentBooked":
      if (state.status === "PENDING") {
        return { changes: { status: "CONFIRMED", shipmentBooked: true, step: "COMPLETING" }, emits: [orderConfirmed(state)] };
      }
      if (state.status === "CANCELLED") {
        // A booking that landed after the cancel: shipping cancels it on OrderCancelled; wait for that.
        return record(state, { shipmentBooked: true }, state.shipmentCancelled ? undefined : "COMPENSATING");
      }
      return nothing(); // CONFIRMED: a repeat

    case "ShipmentFailed":
      return state.status === "PENDING" ? cancel(state, "SHIPMENT_FAILED", event.detail) : nothing();

    case "StockCommitted":
      return record(state, { stockCommitted: true }, state.status === "CONFIRMED" ? "ENDED" : undefined);

    case "StockReleased":
      return compensated(state, { stockReleased: true });

    case "PaymentRefunded":
      return compensated(state, { paymentRefunded: true });

    case "ShipmentCancelled":
      return compensated(state, { shipmentCancelled: true });

    case "DeadlinePassed":
      if (state.status !== "PENDING") return nothing(); // the order ended in time
      return cancel(state, "DEADLINE_EXCEEDED", deadlineMessage(state));

    case "CancelOrder":
      if (state.status === "PENDING") return cancel(state, "CUSTOMER_REQUESTED", "cancelled by the customer");
      if (state.status === "CONFIRMED") {
        return { ...nothing(), refusal: `order ${state.orderId} is already confirmed and cannot be cancelled` };
      }
      return nothing(); // already cancelled: CancelOrder is idempotent
  }
}

/** Cancels a PENDING order and asks for the compensations (OrderCancelled says what orders has seen). */
function cancel(state: SagaState, reason: ReasonName, message: string): SagaDecision {
  return {
    changes: {
      status: "CANCELLED",
      cancelReason: reason,
      cancelMessage: message.slice(0, cancelMessageLimit),
      step: "COMPENSATING",
    },
    emits: [
      {
        type: "OrderCancelled",
        orderId: state.orderId,
        customerId: state.customerId,
        reason,
        message,
        stockReserved: state.stockReserved,
        paymentCaptured: state.paymentCaptured,
        shipmentBooked: state.shipmentBooked,
      },
    ],
  };
}

/** An answer that came after the deadline: recorded, and the order cancelled DEADLINE_EXCEEDED (compensating what it says). */
function overdue(state: SagaState, fact: SagaChanges): SagaDecision {
  const { changes, emits } = cancel({ ...state, ...fact }, "DEADLINE_EXCEEDED", deadlineMessage(state));
  return { changes: { ...fact, ...changes }, emits };
}

function deadlineMessage(state: SagaState): string {
  return `the saga did not finish by ${state.deadline.toISOString()}`;
}

/** A cancelled order's saga ends once its stock is released, any capture refunded and any booked shipment cancelled. */
function compensated(state: SagaState, fact: SagaChanges): SagaDecision {
  const after = { ...state, ...fact };
  const done =
    after.status === "CANCELLED" &&
    after.stockReleased &&
    (!after.paymentCaptured || after.paymentRefunded) &&
    (!after.shipmentBooked || after.shipmentCancelled);
  return record(state, fact, done ? "ENDED" : undefined);
}

/**
 * Records what an event tells even when the row already knows it (a repeat is
 * written again, which touches the row's update time, as it always has); the
 * step is in the changes only when it moves.
 */
function record(state: SagaState, fact: SagaChanges, step?: StepName): SagaDecision {
  return { changes: step && step !== state.step ? { ...fact, step } : fact, emits: [] };
}

function nothing(): SagaDecision {
  return { changes: {}, emits: [] };
}

function emit(event: SagaEmit): SagaDecision {
  return { changes: {}, emits: [event] };
}

function orderPlaced(state: SagaState): SagaEmit {
  const { orderId, customerId, items, total, deadline } = state;
  return { type: "OrderPlaced", orderId, customerId, items, total, deadline };
}

function paymentRequested(state: SagaState): SagaEmit {
  return { type: "PaymentRequested", orderId: state.orderId, customerId: state.customerId, amount: state.total };
}

function shipmentRequested(state: SagaState): SagaEmit {
  return { type: "ShipmentRequested", orderId: state.orderId, customerId: state.customerId, items: state.items };
}

function orderConfirmed(state: SagaState): SagaEmit {
  return { type: "OrderConfirmed", orderId: state.orderId, customerId: state.customerId, total: state.total };
}

/** One saga event and the clock decide() took it at: an entry of the order's timeline. */
export interface TimedEvent {
  event: SagaEvent;
  at?: Date;
}

/**
 * Applies `events` in order from `from`, each decision's changes as the edge
 * writes them to the row: the order's saga state recomputed from its timeline.
 */
export function fold(from: SagaState, events: Iterable<TimedEvent>): { state: SagaState; emits: SagaEmit[] } {
  let state = from;
  const emits: SagaEmit[] = [];
  for (const { event, at } of events) {
    const next = decide(state, event, at);
    state = { ...state, ...next.changes };
    emits.push(...next.emits);
  }
  return { state, emits };
}

/** The state an order starts its saga in: as placed, nothing heard from anyone yet. */
export function asPlaced(state: SagaState): SagaState {
  return {
    ...state,
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
}
