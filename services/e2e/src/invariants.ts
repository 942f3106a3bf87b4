// The seven invariants of the platform, checked over a snapshot of the system at
// rest. Pure functions: each returns pass or fail with the offending ids.
import { PaymentState, ShipmentState } from "@meshmart/proto/history/v1/history_pb";
import { ReservationState } from "@meshmart/proto/inventory/v1/inventory_pb";
import { NotificationKind } from "@meshmart/proto/notifications/v1/notifications_pb";
import { CancelReason, OrderStatus, SagaStep, type Order } from "@meshmart/proto/orders/v1/orders_pb";
import { PaymentStatus, type Payment } from "@meshmart/proto/payments/v1/payments_pb";
import { ShipmentStatus, type Shipment } from "@meshmart/proto/shipping/v1/shipping_pb";
import type { SystemSnapshot } from "./snapshot.ts";

export interface InvariantResult {
  name: string;
  pass: boolean;
  /** Ids of what breaks it (orders, products, ...), each with a short reason. */
  offenders: string[];
  /** What was checked, e.g. "200 orders". */
  summary: string;
}

/** What the load generator knows it was promised: orders that PlaceOrder accepted. */
export interface AcceptedOrder {
  orderId: string;
  customerId: string;
  idempotencyKey: string;
}

export interface RestState {
  outboxBacklog: Record<string, number>;
  consumerLag: Record<string, number>;
}

const result = (name: string, offenders: string[], summary: string): InvariantResult => ({
  name,
  pass: offenders.length === 0,
  offenders,
  summary,
});

/** 1. Every accepted order exists exactly once and ended CONFIRMED or CANCELLED, its saga ended. */
export function ordersSettled(snapshot: SystemSnapshot, accepted: AcceptedOrder[] = []): InvariantResult {
  const offenders: string[] = [];
  const byId = new Map<string, number>();
  const byKey = new Map<string, string[]>();
  for (const { order, saga } of snapshot.orders) {
    if (!order) continue;
    byId.set(order.id, (byId.get(order.id) ?? 0) + 1);
    const key = `${order.customerId}/${order.idempotencyKey}`;
    byKey.set(key, [...(byKey.get(key) ?? []), order.id]);
    if (order.status !== OrderStatus.CONFIRMED && order.status !== OrderStatus.CANCELLED) {
      offenders.push(`${order.id}: status ${OrderStatus[order.status]}`);
    } else if (saga?.step !== SagaStep.ENDED) {
      offenders.push(`${order.id}: saga at ${SagaStep[saga?.step ?? 0]}`);
    }
  }
  for (const [key, ids] of byKey) if (ids.length > 1) offenders.push(`${key}: ${ids.length} orders for one idempotency key`);
  for (const order of accepted) {
    const count = byId.get(order.orderId) ?? 0;
    if (count !== 1) offenders.push(`${order.orderId}: accepted, found ${count} times`);
  }
  return result("orders: every accepted order exists once and ended", offenders, `${snapshot.orders.length} orders, ${accepted.length} accepted by the load generator`);
}

/** 2. Stock is conserved: stocked = available + reserved + sold, reserved 0 at rest, sold = confirmed quantities, nothing negative. */
export function stockConserved(snapshot: SystemSnapshot): InvariantResult {
  const offenders: string[] = [];
  const soldByOrders = new Map<string, bigint>();
  for (const { order } of snapshot.orders) {
    if (order?.status !== OrderStatus.CONFIRMED) continue;
    for (const item of order.items) soldByOrders.set(item.productId, (soldByOrders.get(item.productId) ?? 0n) + BigInt(item.quantity));
  }
  const seen = new Set<string>();
  for (const stock of snapshot.stocks) {
    seen.add(stock.productId);
    const id = stock.productId;
    if (stock.available < 0n || stock.reserved < 0n || stock.sold < 0n) offenders.push(`${id}: negative count`);
    if (stock.available + stock.reserved + stock.sold !== stock.stocked) {
      offenders.push(`${id}: stocked ${stock.stocked} != available ${stock.available} + reserved ${stock.reserved} + sold ${stock.sold}`);
    }
    if (stock.reserved !== 0n) offenders.push(`${id}: ${stock.reserved} still reserved at rest`);
    const expected = soldByOrders.get(id) ?? 0n;
    if (stock.sold !== expected) offenders.push(`${id}: sold ${stock.sold}, confirmed orders hold ${expected}`);
  }
  for (const id of soldByOrders.keys()) if (!seen.has(id)) offenders.push(`${id}: confirmed orders sold it, inventory has no stock record`);
  const byOrder = new Map(snapshot.reservations.map((r) => [r.orderId, r]));
  for (const { order } of snapshot.orders) {
    if (!order) continue;
    const state = byOrder.get(order.id)?.state;
    if (order.status === OrderStatus.CONFIRMED && state !== ReservationState.COMMITTED) {
      offenders.push(`${order.id}: confirmed, reservation ${ReservationState[state ?? 0]}`);
    }
    if (order.status === OrderStatus.CANCELLED && (state === ReservationState.RESERVED || state === ReservationState.COMMITTED)) {
      offenders.push(`${order.id}: cancelled, reservation still ${ReservationState[state]}`);
    }
  }
  return result("stock: conserved per product, nothing reserved at rest", offenders, `${snapshot.stocks.length} products, ${snapshot.reservations.length} reservations`);
}

/** 3. Each confirmed order captured exactly once; cancelled orders hold no unrefunded capture; totals match. */
export function paymentsBalanced(snapshot: SystemSnapshot): InvariantResult {
  const offenders: string[] = [];
  const paymentsByOrder = new Map<string, typeof snapshot.payments>();
  for (const payment of snapshot.payments) paymentsByOrder.set(payment.orderId, [...(paymentsByOrder.get(payment.orderId) ?? []), payment]);
  const orders = new Map(snapshot.orders.flatMap(({ order }) => (order ? [[order.id, order] as const] : [])));
  let confirmedTotal = 0n;
  let netCaptured = 0n;
  for (const payment of snapshot.payments) {
    netCaptured += (payment.capturedAmount?.unitsMinor ?? 0n) - (payment.refundedAmount?.unitsMinor ?? 0n);
    if (!orders.has(payment.orderId)) offenders.push(`${payment.orderId}: payment ${payment.id} for an unknown order`);
  }
  for (const order of orders.values()) {
    const payments = paymentsByOrder.get(order.id) ?? [];
    if (payments.length > 1) offenders.push(`${order.id}: ${payments.length} payments`);
    const captured = payments.reduce((sum, p) => sum + (p.capturedAmount?.unitsMinor ?? 0n), 0n);
    const refunded = payments.reduce((sum, p) => sum + (p.refundedAmount?.unitsMinor ?? 0n), 0n);
    const total = order.total?.unitsMinor ?? 0n;
    if (order.status === OrderStatus.CONFIRMED) {
      confirmedTotal += total;
      if (captured !== total || refunded !== 0n) offenders.push(`${order.id}: confirmed for ${total}, captured ${captured}, refunded ${refunded}`);
    } else if (order.status === OrderStatus.CANCELLED && captured !== refunded) {
      offenders.push(`${order.id}: cancelled, captured ${captured} but refunded ${refunded}`);
    }
  }
  if (netCaptured !== confirmedTotal) offenders.push(`totals: captured net of refunds ${netCaptured}, confirmed orders ${confirmedTotal}`);
  return result("payments: captured once per confirmed order, cancelled refunded, totals match", offenders, `${snapshot.payments.length} payments, confirmed total ${confirmedTotal}`);
}

/** 4. Exactly one notification per order outcome. */
export function oneNotificationPerOutcome(snapshot: SystemSnapshot): InvariantResult {
  const offenders: string[] = [];
  const byOrder = new Map<string, typeof snapshot.notifications>();
  for (const n of snapshot.notifications) byOrder.set(n.orderId, [...(byOrder.get(n.orderId) ?? []), n]);
  const orders = new Map(snapshot.orders.flatMap(({ order }) => (order ? [[order.id, order] as const] : [])));
  for (const order of orders.values()) {
    const notes = byOrder.get(order.id) ?? [];
    const expected =
      order.status === OrderStatus.CONFIRMED
        ? NotificationKind.ORDER_CONFIRMED
        : order.status === OrderStatus.CANCELLED
          ? NotificationKind.ORDER_CANCELLED
          : undefined;
    if (expected === undefined) continue; // not final: invariant 1 reports it
    if (notes.length !== 1 || notes[0]!.kind !== expected) {
      offenders.push(`${order.id}: ${OrderStatus[order.status]}, notifications [${notes.map((n) => NotificationKind[n.kind]).join(", ")}]`);
    }
  }
  for (const orderId of byOrder.keys()) if (!orders.has(orderId)) offenders.push(`${orderId}: notification for an unknown order`);
  return result("notifications: exactly one per order outcome", offenders, `${snapshot.notifications.length} notifications`);
}

/** 5. At rest every outbox row is published and consumer lag is 0. */
export function eventsDrained(rest: RestState): InvariantResult {
  const offenders = [
    ...Object.entries(rest.outboxBacklog).filter(([, n]) => n !== 0).map(([service, n]) => `${service}: ${n} unpublished outbox rows`),
    ...Object.entries(rest.consumerLag).filter(([, n]) => n !== 0).map(([group, n]) => `${group}: consumer lag ${n}`),
  ];
  return result("events: outboxes empty, consumer lag 0", offenders, `${Object.keys(rest.outboxBacklog).length} outboxes, ${Object.keys(rest.consumerLag).length} consumer groups`);
}

/** 6. Every confirmed order has exactly one shipment, BOOKED; no cancelled order keeps a booked one; none for an unknown order. */
export function shipmentsMatchOrders(snapshot: SystemSnapshot): InvariantResult {
  const offenders: string[] = [];
  const byOrder = new Map<string, typeof snapshot.shipments>();
  for (const shipment of snapshot.shipments) byOrder.set(shipment.orderId, [...(byOrder.get(shipment.orderId) ?? []), shipment]);
  const orders = new Map(snapshot.orders.flatMap(({ order }) => (order ? [[order.id, order] as const] : [])));
  let booked = 0;
  for (const order of orders.values()) {
    const shipments = byOrder.get(order.id) ?? [];
    const statuses = shipments.map((s) => ShipmentStatus[s.status]).join(", ");
    if (shipments.length > 1) offenders.push(`${order.id}: ${shipments.length} shipments [${statuses}]`);
    const bookedHere = shipments.filter((s) => s.status === ShipmentStatus.BOOKED).length;
    booked += bookedHere;
    if (order.status === OrderStatus.CONFIRMED && (shipments.length !== 1 || bookedHere !== 1)) {
      offenders.push(`${order.id}: confirmed, shipments [${statuses}]`);
    }
    if (order.status === OrderStatus.CANCELLED && bookedHere > 0) offenders.push(`${order.id}: cancelled, shipment still BOOKED`);
  }
  for (const orderId of byOrder.keys()) if (!orders.has(orderId)) offenders.push(`${orderId}: shipment for an unknown order`);
  return result("shipping: one booked shipment per confirmed order, none kept by a cancelled one", offenders, `${snapshot.shipments.length} shipments, ${booked} booked`);
}

/** The payment state the projection should show for what payments records (AUTHORIZED emits no event). */
function expectedPaymentState(payment: Payment | undefined): PaymentState {
  switch (payment?.status) {
    case PaymentStatus.CAPTURED:
      return PaymentState.CAPTURED;
    case PaymentStatus.DECLINED:
      return PaymentState.DECLINED;
    case PaymentStatus.REFUNDED:
      return PaymentState.REFUNDED;
    default:
      return PaymentState.NONE;
  }
}

/** The shipment state the projection should show for what shipping records. */
function expectedShipmentState(shipment: Shipment | undefined): ShipmentState {
  switch (shipment?.status) {
    case ShipmentStatus.BOOKED:
      return ShipmentState.BOOKED;
    case ShipmentStatus.FAILED:
      return ShipmentState.FAILED;
    case ShipmentStatus.CANCELLED:
      return ShipmentState.CANCELLED;
    default:
      return ShipmentState.NONE;
  }
}

const lineKey = (productId: string, quantity: number, price: { currencyCode: string; unitsMinor: bigint } | undefined) =>
  `${productId} x${quantity} @${price?.currencyCode ?? "?"} ${price?.unitsMinor ?? "?"}`;
const itemsOf = (order: Order) => order.items.map((i) => lineKey(i.productId, i.quantity, i.unitPrice)).sort();
const money = (m: { currencyCode: string; unitsMinor: bigint } | undefined) => (m ? `${m.currencyCode} ${m.unitsMinor}` : "none");

/**
 * 7. The order-history projection agrees with the services it is folded
 * from: for every order, its status, cancel reason, total and lines (product,
 * quantity, unit price) are orders', its payment state payments' and its
 * shipment state shipping's; and it holds no order orders does not.
 */
export function projectionMatchesSources(snapshot: SystemSnapshot): InvariantResult {
  const offenders: string[] = [];
  const summaries = new Map<string, SystemSnapshot["history"][number]>();
  for (const summary of snapshot.history) {
    if (summaries.has(summary.orderId)) offenders.push(`${summary.orderId}: listed twice by the projection`);
    summaries.set(summary.orderId, summary);
  }
  const payments = new Map(snapshot.payments.map((p) => [p.orderId, p]));
  const shipments = new Map(snapshot.shipments.map((s) => [s.orderId, s]));
  const orders = new Map(snapshot.orders.flatMap(({ order }) => (order ? [[order.id, order] as const] : [])));
  for (const order of orders.values()) {
    const summary = summaries.get(order.id);
    if (!summary) {
      offenders.push(`${order.id}: not in the projection`);
      continue;
    }
    const differences: string[] = [];
    const compare = (what: string, projected: string, recorded: string) => {
      if (projected !== recorded) differences.push(`${what} ${projected} (recorded: ${recorded})`);
    };
    compare("customer", summary.customerId, order.customerId);
    compare("status", OrderStatus[summary.status] ?? String(summary.status), OrderStatus[order.status] ?? String(order.status));
    compare("cancel reason", CancelReason[summary.cancelReason] ?? String(summary.cancelReason), CancelReason[order.cancelReason] ?? String(order.cancelReason));
    compare("total", money(summary.total), money(order.total));
    compare("lines", summary.lines.map((l) => lineKey(l.productId, l.quantity, l.unitPrice)).sort().join(", "), itemsOf(order).join(", "));
    compare("payment", PaymentState[summary.paymentState] ?? String(summary.paymentState), PaymentState[expectedPaymentState(payments.get(order.id))]);
    compare("shipment", ShipmentState[summary.shipmentState] ?? String(summary.shipmentState), ShipmentState[expectedShipmentState(shipments.get(order.id))]);
    if (differences.length > 0) offenders.push(`${order.id}: projection has ${differences.join("; ")}`);
  }
  for (const orderId of summaries.keys()) if (!orders.has(orderId)) offenders.push(`${orderId}: in the projection, unknown to orders`);
  return result(
    "history: the order-history projection equals orders, payments and shipping",
    offenders,
    `${snapshot.history.length} summaries, ${orders.size} orders`,
  );
}

export function checkInvariants(snapshot: SystemSnapshot, rest: RestState, accepted: AcceptedOrder[] = []): InvariantResult[] {
  return [
    ordersSettled(snapshot, accepted),
    stockConserved(snapshot),
    paymentsBalanced(snapshot),
    oneNotificationPerOutcome(snapshot),
    eventsDrained(rest),
    shipmentsMatchOrders(snapshot),
    projectionMatchesSources(snapshot),
  ];
}
