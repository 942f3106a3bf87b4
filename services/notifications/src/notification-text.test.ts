// The customer-facing text: money in the currency's minor units, the reason
// of a cancellation in words.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { MoneySchema } from "@meshmart/proto/common/v1/money_pb";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { cancelledText, confirmedText, formatMoney } from "./notification-text.ts";

const money = (currencyCode: string, unitsMinor: bigint) => create(MoneySchema, { currencyCode, unitsMinor });
const orderId = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("notification text", () => {
  it("formats money exactly in the currency's minor units", () => {
    assert.equal(formatMoney(money("EUR", 4250n)), "EUR 42.50");
    assert.equal(formatMoney(money("EUR", 5n)), "EUR 0.05");
    assert.equal(formatMoney(money("JPY", 1200n)), "JPY 1200");
    assert.equal(formatMoney(money("EUR", 9223372036854775807n)), "EUR 92233720368547758.07");
  });

  it("tells a confirmed order's total", () => {
    const text = confirmedText(create(OrderConfirmedSchema, { orderId, total: { currencyCode: "EUR", unitsMinor: 1999n } }));
    assert.equal(text.subject, "Order 0f8fad5b is confirmed");
    assert.match(text.body, /EUR 19\.99/);
  });

  it("tells why an order was cancelled, and a refund only when a capture was seen", () => {
    const outOfStock = cancelledText(
      create(OrderCancelledSchema, { orderId, reason: CancelReason.OUT_OF_STOCK, message: "product X: 0 left" }),
    );
    assert.equal(outOfStock.subject, "Order 0f8fad5b was cancelled");
    assert.match(outOfStock.body, /because some items are out of stock \(product X: 0 left\)\.$/);
    const late = cancelledText(create(OrderCancelledSchema, { orderId, reason: CancelReason.DEADLINE_EXCEEDED, paymentCaptured: true }));
    assert.match(late.body, /in time\. The amount charged is refunded\.$/);
  });
});
