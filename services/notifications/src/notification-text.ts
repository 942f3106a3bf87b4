// What the customer is told about an order's outcome. Pure functions, so the
// wording can change without touching the store or the event handling.
import type { Money } from "@meshmart/proto/common/v1/money_pb";
import type { OrderCancelled, OrderConfirmed } from "@meshmart/proto/orders/v1/events_pb";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";

export interface NotificationText {
  subject: string;
  body: string;
}

/** Money in its currency's minor-unit digits, e.g. "EUR 42.50", "JPY 1200"; exact for any int64. */
export function formatMoney(money: Money | undefined): string {
  if (!money) return "";
  let digits = 2;
  try {
    digits = new Intl.NumberFormat("en", { style: "currency", currency: money.currencyCode }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // An unknown currency code: assume cents.
  }
  const units = money.unitsMinor.toString().padStart(digits + 1, "0");
  const whole = units.slice(0, units.length - digits);
  return `${money.currencyCode} ${digits > 0 ? `${whole}.${units.slice(-digits)}` : whole}`;
}

/** Orders are known to customers by the first block of their id. */
const shortId = (orderId: string) => orderId.split("-")[0] ?? orderId;

export function confirmedText(event: OrderConfirmed): NotificationText {
  return {
    subject: `Order ${shortId(event.orderId)} is confirmed`,
    body: `Thank you! Your order ${event.orderId} is confirmed and paid: ${formatMoney(event.total)}.`,
  };
}

const becauseOf: Record<CancelReason, string> = {
  [CancelReason.UNSPECIFIED]: "",
  [CancelReason.OUT_OF_STOCK]: "some items are out of stock",
  [CancelReason.PAYMENT_DECLINED]: "the payment was declined",
  [CancelReason.DEADLINE_EXCEEDED]: "we could not complete it in time",
  [CancelReason.CUSTOMER_REQUESTED]: "you asked us to cancel it",
  [CancelReason.SHIPMENT_FAILED]: "we could not book its shipment",
};

export function cancelledText(event: OrderCancelled): NotificationText {
  const because = becauseOf[event.reason] ?? "";
  const detail = event.message ? ` (${event.message})` : "";
  // payment_captured false does not prove nothing was charged (a late capture is refunded too): say nothing then.
  const money = event.paymentCaptured ? " The amount charged is refunded." : "";
  return {
    subject: `Order ${shortId(event.orderId)} was cancelled`,
    body: `Your order ${event.orderId} was cancelled${because ? ` because ${because}` : ""}${detail}.${money}`,
  };
}
