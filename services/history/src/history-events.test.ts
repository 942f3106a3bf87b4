// The projection end to end: orders, payments, shipping and catalog events
// published through a real outbox and relay onto real Kafka, consumed by a
// real history service on a real PostgreSQL, read back through its RPCs.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { metricTotal } from "@meshmart/platform/test-support";
import { ProductCreatedSchema, ProductDeletedSchema, ProductPriceChangedSchema } from "@meshmart/proto/catalog/v1/events_pb";
import { PaymentState, ShipmentState, type OrderSummary } from "@meshmart/proto/history/v1/history_pb";
import { CancelReason, OrderStatus } from "@meshmart/proto/orders/v1/orders_pb";
import { createProjectionSources, eur, event, orderLife, shuffled, startTestHistory, type ProjectionSources, type TestHistory } from "./test-projection.ts";

/** What a summary says, without what differs between orders (ids) and emissions (times). */
function shape(summary: OrderSummary) {
  return {
    status: OrderStatus[summary.status],
    cancelReason: CancelReason[summary.cancelReason],
    cancelMessage: summary.cancelMessage,
    total: summary.total?.unitsMinor,
    lines: summary.lines.map((l) => ({ name: l.productName, quantity: l.quantity, unit: l.unitPrice?.unitsMinor })),
    payment: PaymentState[summary.paymentState],
    shipment: ShipmentState[summary.shipmentState],
    carrier: summary.carrier,
    tracking: summary.trackingNumber.slice(0, 3),
    placed: summary.placeTime !== undefined,
  };
}

describe("history projection", () => {
  let sources: ProjectionSources;
  let history: TestHistory;
  const widget = { id: randomUUID(), name: "Widget" };
  const gadget = { id: randomUUID(), name: "Gadget" };

  before(async () => {
    sources = await createProjectionSources();
    history = await startTestHistory(sources);
    await history.handled(
      await sources.emit([
        event(ProductCreatedSchema, { productId: widget.id, sku: "W-1", name: widget.name, price: eur(1500n), category: "tools" }, widget.id),
        event(ProductCreatedSchema, { productId: gadget.id, sku: "G-1", name: gadget.name, price: eur(990n), category: "tools" }, gadget.id),
      ]),
    );
  });
  after(async () => {
    await history.stop();
    await sources.close();
  });

  const get = async (orderId: string) => (await history.client.getOrderHistory({ orderId })).order!;

  it("folds the events of an order arriving in any order (shuffled) to the same summary", async () => {
    const products = [
      { id: widget.id, quantity: 2, price: 1500n },
      { id: gadget.id, quantity: 1, price: 990n },
    ];
    for (const outcome of ["confirmed", "cancelled-after-booking"] as const) {
      const lives = Array.from({ length: 5 }, () => orderLife({ products, outcome }));
      // Each order's events in an order of their own; orders interleaved too.
      const ids = await sources.emit(shuffled(lives.flatMap((life) => shuffled(life.events))));
      await history.handled(ids);
      const summaries = await Promise.all(lives.map((life) => get(life.orderId)));
      for (const [i, summary] of summaries.entries()) {
        assert.equal(summary.orderId, lives[i]!.orderId);
        assert.equal(summary.customerId, lives[i]!.customerId);
        assert.deepEqual(shape(summary), shape(summaries[0]!), `order ${i} (${outcome}) folds like order 0`);
      }
      assert.deepEqual(
        shape(summaries[0]!),
        outcome === "confirmed"
          ? {
              status: "CONFIRMED",
              cancelReason: "UNSPECIFIED",
              cancelMessage: "",
              total: 3990n,
              lines: [
                { name: "Widget", quantity: 2, unit: 1500n },
                { name: "Gadget", quantity: 1, unit: 990n },
              ],
              payment: "CAPTURED",
              shipment: "BOOKED",
              carrier: "Parcelo",
              tracking: "PX-",
              placed: true,
            }
          : {
              status: "CANCELLED",
              cancelReason: "CUSTOMER_REQUESTED",
              cancelMessage: "changed my mind",
              total: 3990n,
              lines: [
                { name: "Widget", quantity: 2, unit: 1500n },
                { name: "Gadget", quantity: 1, unit: 990n },
              ],
              payment: "REFUNDED",
              shipment: "CANCELLED",
              carrier: "Parcelo",
              tracking: "PX-",
              placed: true,
            },
      );
    }
  });

  it("changes nothing when the same events arrive again under new event ids", async () => {
    const life = orderLife({ products: [{ id: widget.id, quantity: 1, price: 1500n }], outcome: "confirmed" });
    await history.handled(await sources.emit(life.events));
    const first = await get(life.orderId);
    const rowsBefore = await history.service.runtime.db.query("SELECT * FROM order_summaries WHERE order_id = $1", [life.orderId]);
    await history.handled(await sources.emit(shuffled(life.events)));
    assert.deepEqual(await get(life.orderId), first, "the summary, update_time included");
    const rowsAfter = await history.service.runtime.db.query("SELECT * FROM order_summaries WHERE order_id = $1", [life.orderId]);
    assert.deepEqual(rowsAfter.rows, rowsBefore.rows);
    const { rows } = await history.service.runtime.db.query<{ n: string }>("SELECT count(*) AS n FROM order_lines WHERE order_id = $1", [life.orderId]);
    assert.equal(rows[0]!.n, "1", "the lines are written once");
  });

  it("shows an empty name for a product it has not heard of, fills it in when ProductCreated arrives, and keeps it after ProductDeleted", async () => {
    const late = { id: randomUUID(), name: "Late Lamp" };
    const life = orderLife({ products: [{ id: late.id, quantity: 3, price: 700n }, { id: widget.id, quantity: 1, price: 1500n }], outcome: "confirmed" });
    await history.handled(await sources.emit(life.events));
    assert.deepEqual((await get(life.orderId)).lines.map((l) => l.productName), ["", "Widget"]);
    await history.handled(
      await sources.emit([event(ProductCreatedSchema, { productId: late.id, sku: "L-1", name: late.name, price: eur(700n), category: "lamps" }, late.id)]),
    );
    assert.deepEqual((await get(life.orderId)).lines.map((l) => l.productName), ["Late Lamp", "Widget"]);
    await history.handled(
      await sources.emit([
        event(ProductPriceChangedSchema, { productId: late.id, oldPrice: eur(700n), newPrice: eur(900n) }, late.id),
        event(ProductDeletedSchema, { productId: late.id, sku: "L-1" }, late.id),
      ]),
    );
    const after = await get(life.orderId);
    assert.deepEqual(after.lines.map((l) => [l.productName, l.unitPrice?.unitsMinor]), [["Late Lamp", 700n], ["Widget", 1500n]], "names stay; lines keep the price they were placed at");
    const { rows } = await history.service.runtime.db.query<{ deleted: boolean; price_minor: string }>("SELECT deleted, price_minor FROM products WHERE product_id = $1", [late.id]);
    assert.deepEqual(rows[0], { deleted: true, price_minor: "900" });
  });

  it("holds a partial summary for a payment or shipment that comes before its order, and completes it when OrderPlaced arrives", async () => {
    const life = orderLife({ products: [{ id: gadget.id, quantity: 4, price: 990n }], outcome: "confirmed" });
    const [placed, , captured, , booked] = life.events;
    await history.handled(await sources.emit([captured!, booked!]));
    const partial = await get(life.orderId);
    assert.equal(partial.status, OrderStatus.UNSPECIFIED);
    assert.equal(partial.placeTime, undefined);
    assert.equal(partial.customerId, "");
    assert.equal(partial.paymentState, PaymentState.CAPTURED);
    assert.equal(partial.shipmentState, ShipmentState.BOOKED);
    assert.deepEqual(partial.lines, []);
    assert.ok((await history.listAll()).some((s) => s.orderId === life.orderId), "the audit listing shows it");
    assert.ok(!(await history.listAll({ customerId: life.customerId })).some((s) => s.orderId === life.orderId), "the customer's does not, yet");

    await history.handled(await sources.emit([placed!]));
    const whole = await get(life.orderId);
    assert.equal(whole.status, OrderStatus.PENDING);
    assert.equal(whole.customerId, life.customerId);
    assert.equal(whole.total?.unitsMinor, 3960n);
    assert.deepEqual(whole.lines.map((l) => [l.productName, l.quantity]), [["Gadget", 4]]);
    assert.equal(whole.paymentState, PaymentState.CAPTURED, "what came first is kept");
    assert.deepEqual((await history.listAll({ customerId: life.customerId })).map((s) => s.orderId), [life.orderId]);
  });

  it("counts the events it applies and reports no lag at rest, as metrics and through GetProjectionStatus", async () => {
    const life = orderLife({ products: [{ id: widget.id, quantity: 1, price: 1500n }], outcome: "confirmed" });
    const before = await metricTotal(history.service, "projection_events_applied_total", { topic: "meshmart.orders.v1" });
    await history.handled(await sources.emit(life.events));
    // OrderPlaced and OrderConfirmed are applied; PaymentRequested and ShipmentRequested have no handler here.
    assert.equal(await metricTotal(history.service, "projection_events_applied_total", { topic: "meshmart.orders.v1" }), before + 2);
    const status = await history.client.getProjectionStatus({});
    assert.equal(status.rebuilding, false);
    assert.deepEqual(status.topics.map((t) => t.topic).sort(), ["catalog", "orders", "payments", "shipping"].map((d) => `${sources.prefix}meshmart.${d}.v1`).sort());
    const orders = status.topics.find((t) => t.topic.endsWith("meshmart.orders.v1"))!;
    assert.ok(orders.eventsApplied >= 2n);
    assert.ok(orders.lastEventTime && orders.lastEventTime.seconds >= timestampNow().seconds - 60n);
    assert.ok(status.orders > 0n);
    const atRest = await history.client.getProjectionStatus({}).then(async (s) => {
      for (let i = 0; i < 50 && s.topics.some((t) => t.pendingMessages !== 0n); i++) {
        await new Promise((r) => setTimeout(r, 200));
        s = await history.client.getProjectionStatus({});
      }
      return s;
    });
    assert.deepEqual(atRest.topics.map((t) => [t.pendingMessages, t.lagSeconds]), atRest.topics.map(() => [0n, 0]));
    assert.equal(await metricTotal(history.service, "projection_lag_seconds"), 0);
  });
});
