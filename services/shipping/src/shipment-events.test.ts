// The shipping step of the saga end to end: orders events published through a
// real outbox and relay onto real Kafka, consumed by a real shipping service
// on a real PostgreSQL. Each service gets topics (and a group) of its own.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { parseFaults } from "@meshmart/platform";
import { OrderCancelledSchema, ShipmentRequestedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { ShipmentBookedSchema, ShipmentCancelledSchema, ShipmentFailedSchema } from "@meshmart/proto/shipping/v1/events_pb";
import { ShipmentFailureReason, ShippingService, ShipmentStatus } from "@meshmart/proto/shipping/v1/shipping_pb";
import { shippingService } from "./index.ts";
import { eventually } from "@meshmart/platform/test-support";
import { startEventWorld, type EventWorld } from "@meshmart/platform/events/test-event-world";

interface World extends EventWorld {
  client: Client<typeof ShippingService>;
}

async function startWorld(env: Record<string, string>): Promise<World> {
  const world = await startEventWorld(shippingService, "orders", env);
  return { ...world, client: createClient(ShippingService, createConnectTransport({ baseUrl: world.service.url, httpVersion: "1.1" })) };
}

const handled = (world: World, eventIds: string[]) => world.handled(eventIds);
const emitted = (world: World, orderId: string) => world.emitted(orderId);
const types = (rows: Array<{ type: string }>) => rows.map((row) => row.type.replace("meshmart.shipping.v1.", ""));

function newOrder() {
  const orderId = randomUUID();
  const customerId = randomUUID();
  const unitPrice = { currencyCode: "EUR", unitsMinor: 1000n };
  return {
    orderId,
    customerId,
    request: {
      orderId,
      customerId,
      items: [
        { productId: randomUUID(), quantity: 2, unitPrice },
        { productId: randomUUID(), quantity: 3, unitPrice },
      ],
    },
    cancel: { orderId, customerId, reason: CancelReason.DEADLINE_EXCEEDED, message: "saga deadline passed" },
  };
}

describe("shipment events", () => {
  let world: World;
  before(async () => {
    world = await startWorld({ SHIPPING_FAILURE_RATE: "0", SHIPPING_LATENCY_MS: "20" });
  });
  after(() => world.close());

  it("books once when the same ShipmentRequested arrives twice under different event ids", async () => {
    const order = newOrder();
    const first = await world.source.emit(ShipmentRequestedSchema, order.request, order.orderId);
    const second = await world.source.emit(ShipmentRequestedSchema, order.request, order.orderId);
    await handled(world, [first, second]);

    const { shipment } = await world.client.getShipment({ orderId: order.orderId });
    assert.equal(shipment?.status, ShipmentStatus.BOOKED);
    assert.equal(shipment?.customerId, order.customerId);
    assert.equal(shipment?.itemCount, 5, "the sum of the quantities");
    assert.equal(shipment?.carrier, "simulated-post");
    assert.match(shipment?.trackingNumber ?? "", /^sp_/);
    assert.equal(shipment?.failureReason, ShipmentFailureReason.UNSPECIFIED);
    const rows = await eventually(async () => {
      const rows = await emitted(world, order.orderId);
      return rows.every((row) => row.published) ? rows : undefined;
    }, { what: "ShipmentBooked published" });
    assert.deepEqual(types(rows), ["ShipmentBooked"]);
    const event = fromBinary(ShipmentBookedSchema, rows[0]!.payload);
    assert.equal(event.shipmentId, shipment?.id);
    assert.equal(event.trackingNumber, shipment?.trackingNumber);
    assert.equal(event.carrier, "simulated-post");
  });

  it("cancels a booking exactly once when the order is cancelled (twice), and never books again", async () => {
    const order = newOrder();
    await handled(world, [await world.source.emit(ShipmentRequestedSchema, order.request, order.orderId)]);
    const cancels = [
      await world.source.emit(OrderCancelledSchema, { ...order.cancel, shipmentBooked: true }, order.orderId),
      await world.source.emit(OrderCancelledSchema, { ...order.cancel, shipmentBooked: true }, order.orderId),
    ];
    const lateRequest = await world.source.emit(ShipmentRequestedSchema, order.request, order.orderId);
    await handled(world, [...cancels, lateRequest]);

    const { shipment } = await world.client.getShipment({ orderId: order.orderId });
    assert.equal(shipment?.status, ShipmentStatus.CANCELLED);
    assert.match(shipment?.trackingNumber ?? "", /^sp_/, "keeps the tracking number of what was cancelled");
    const rows = await emitted(world, order.orderId);
    assert.deepEqual(types(rows), ["ShipmentBooked", "ShipmentCancelled"]);
    assert.equal(fromBinary(ShipmentCancelledSchema, rows[1]!.payload).shipmentId, shipment?.id);
  });

  it("fails a ShipmentRequested that arrives after the order's OrderCancelled, booking nothing", async () => {
    const order = newOrder();
    const cancel = await world.source.emit(OrderCancelledSchema, order.cancel, order.orderId);
    const request = await world.source.emit(ShipmentRequestedSchema, order.request, order.orderId);
    await handled(world, [cancel, request]);

    const { shipment } = await world.client.getShipment({ orderId: order.orderId });
    assert.equal(shipment?.status, ShipmentStatus.FAILED);
    assert.equal(shipment?.failureReason, ShipmentFailureReason.ORDER_CANCELLED);
    assert.equal(shipment?.trackingNumber, "", "nothing was booked");
    const rows = await emitted(world, order.orderId);
    assert.deepEqual(types(rows), ["ShipmentFailed"]);
    assert.equal(fromBinary(ShipmentFailedSchema, rows[0]!.payload).reason, ShipmentFailureReason.ORDER_CANCELLED);
  });

  it("fails the shipment CARRIER_UNAVAILABLE when the carrier errors, instead of retrying until the deadline", async () => {
    const order = newOrder();
    world.service.runtime.faults.replace(parseFaults("carrier:book=fail:unavailable"));
    try {
      await handled(world, [await world.source.emit(ShipmentRequestedSchema, order.request, order.orderId)]);
    } finally {
      world.service.runtime.faults.replace([]);
    }
    const { shipment } = await world.client.getShipment({ orderId: order.orderId });
    assert.equal(shipment?.status, ShipmentStatus.FAILED);
    assert.equal(shipment?.failureReason, ShipmentFailureReason.CARRIER_UNAVAILABLE);
    assert.match(shipment?.failureMessage ?? "", /the carrier failed: .*injected fault on carrier:book/);
    assert.deepEqual(types(await emitted(world, order.orderId)), ["ShipmentFailed"]);
  });
});

describe("shipment events with a failure rate of 1", () => {
  let world: World;
  before(async () => {
    world = await startWorld({ SHIPPING_FAILURE_RATE: "1" });
  });
  after(() => world.close());

  it("fails every shipment with ShipmentFailed, and a later cancel emits nothing", async () => {
    const order = newOrder();
    await handled(world, [await world.source.emit(ShipmentRequestedSchema, order.request, order.orderId)]);

    const { shipment } = await world.client.getShipment({ orderId: order.orderId });
    assert.equal(shipment?.status, ShipmentStatus.FAILED);
    assert.equal(shipment?.trackingNumber, "");
    assert.ok(
      [ShipmentFailureReason.CARRIER_UNAVAILABLE, ShipmentFailureReason.UNSERVICEABLE].includes(shipment.failureReason),
      `reason ${ShipmentFailureReason[shipment.failureReason]}`,
    );
    const [failed] = await emitted(world, order.orderId);
    const event = fromBinary(ShipmentFailedSchema, failed!.payload);
    assert.equal(event.reason, shipment.failureReason);
    assert.equal(event.shipmentId, shipment.id);
    assert.equal(event.message, shipment.failureMessage);

    const cancel = { ...order.cancel, reason: CancelReason.SHIPMENT_FAILED };
    await handled(world, [await world.source.emit(OrderCancelledSchema, cancel, order.orderId)]);
    const { shipment: after } = await world.client.getShipment({ orderId: order.orderId });
    assert.equal(after?.status, ShipmentStatus.FAILED);
    assert.deepEqual(types(await emitted(world, order.orderId)), ["ShipmentFailed"]);
  });
});
