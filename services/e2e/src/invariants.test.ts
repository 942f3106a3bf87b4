// Invariant 7 on hand-made snapshots: the projection agrees with orders,
// payments and shipping, and each kind of disagreement is named.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { MoneySchema } from "@meshmart/proto/common/v1/money_pb";
import { OrderSummarySchema, PaymentState, ShipmentState } from "@meshmart/proto/history/v1/history_pb";
import { CancelReason, OrderAuditSchema, OrderSchema, OrderStatus } from "@meshmart/proto/orders/v1/orders_pb";
import { PaymentSchema, PaymentStatus } from "@meshmart/proto/payments/v1/payments_pb";
import { ShipmentSchema, ShipmentStatus } from "@meshmart/proto/shipping/v1/shipping_pb";
import { projectionMatchesSources } from "./invariants.ts";
import type { SystemSnapshot } from "./snapshot.ts";

const eur = (unitsMinor: bigint) => ({ currencyCode: "EUR", unitsMinor });

function world() {
  const customerId = randomUUID();
  const productId = randomUUID();
  const confirmed = create(OrderSchema, {
    id: randomUUID(),
    customerId,
    status: OrderStatus.CONFIRMED,
    items: [{ productId, quantity: 2, unitPrice: eur(500n) }],
    total: eur(1000n),
  });
  const cancelled = create(OrderSchema, {
    id: randomUUID(),
    customerId,
    status: OrderStatus.CANCELLED,
    cancelReason: CancelReason.SHIPMENT_FAILED,
    items: [{ productId, quantity: 1, unitPrice: eur(500n) }],
    total: eur(500n),
  });
  const summary = (order: typeof confirmed, payment: PaymentState, shipment: ShipmentState) =>
    create(OrderSummarySchema, {
      orderId: order.id,
      customerId,
      status: order.status,
      cancelReason: order.cancelReason,
      total: order.total,
      lines: order.items.map((i) => ({ productId: i.productId, productName: "Widget", quantity: i.quantity, unitPrice: i.unitPrice })),
      paymentState: payment,
      shipmentState: shipment,
    });
  const snapshot: SystemSnapshot = {
    orders: [create(OrderAuditSchema, { order: confirmed }), create(OrderAuditSchema, { order: cancelled })],
    stocks: [],
    reservations: [],
    payments: [
      create(PaymentSchema, { orderId: confirmed.id, status: PaymentStatus.CAPTURED }),
      create(PaymentSchema, { orderId: cancelled.id, status: PaymentStatus.REFUNDED }),
    ],
    shipments: [
      create(ShipmentSchema, { orderId: confirmed.id, status: ShipmentStatus.BOOKED }),
      create(ShipmentSchema, { orderId: cancelled.id, status: ShipmentStatus.FAILED }),
    ],
    notifications: [],
    history: [summary(confirmed, PaymentState.CAPTURED, ShipmentState.BOOKED), summary(cancelled, PaymentState.REFUNDED, ShipmentState.FAILED)],
  };
  return { snapshot, confirmed, cancelled };
}

describe("invariant 7: the projection equals orders, payments and shipping", () => {
  it("passes when every summary says what the services record", () => {
    const result = projectionMatchesSources(world().snapshot);
    assert.deepEqual(result.offenders, []);
    assert.equal(result.pass, true);
    assert.equal(result.summary, "2 summaries, 2 orders");
  });

  it("names an order with no payment or shipment yet as NONE, and an AUTHORIZED payment too", () => {
    const { snapshot, confirmed } = world();
    snapshot.payments = [create(PaymentSchema, { orderId: confirmed.id, status: PaymentStatus.AUTHORIZED })];
    snapshot.shipments = [];
    snapshot.history = snapshot.history.map((s) => ({ ...s, paymentState: PaymentState.NONE, shipmentState: ShipmentState.NONE }));
    assert.deepEqual(projectionMatchesSources(snapshot).offenders, []);
  });

  it("names each field that differs", () => {
    const { snapshot, confirmed, cancelled } = world();
    const [first, second] = snapshot.history;
    first!.status = OrderStatus.PENDING;
    first!.paymentState = PaymentState.NONE;
    first!.lines[0]!.quantity = 3;
    second!.shipmentState = ShipmentState.BOOKED;
    second!.cancelReason = CancelReason.UNSPECIFIED;
    second!.total = create(MoneySchema, eur(499n));
    const { pass, offenders } = projectionMatchesSources(snapshot);
    assert.equal(pass, false);
    assert.equal(offenders.length, 2);
    assert.match(offenders[0]!, new RegExp(`^${confirmed.id}: projection has status PENDING \\(recorded: CONFIRMED\\); lines .* x3 .*; payment NONE \\(recorded: CAPTURED\\)$`));
    assert.match(offenders[1]!, new RegExp(`^${cancelled.id}: projection has cancel reason UNSPECIFIED \\(recorded: SHIPMENT_FAILED\\); total EUR 499 \\(recorded: EUR 500\\); shipment BOOKED \\(recorded: FAILED\\)$`));
  });

  it("fails on an order missing from the projection, one orders does not know, and one listed twice", () => {
    const { snapshot, confirmed } = world();
    const stranger = randomUUID();
    snapshot.history = [snapshot.history[1]!, snapshot.history[1]!, create(OrderSummarySchema, { orderId: stranger, paymentState: PaymentState.CAPTURED })];
    const { offenders } = projectionMatchesSources(snapshot);
    assert.ok(offenders.includes(`${confirmed.id}: not in the projection`), offenders.join("\n"));
    assert.ok(offenders.includes(`${stranger}: in the projection, unknown to orders`));
    assert.ok(offenders.some((o) => o.endsWith("listed twice by the projection")));
  });
});
