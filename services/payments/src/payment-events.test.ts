// The payments step of the saga end to end: orders events published through a
// real outbox and relay onto real Kafka, consumed by a real payments service
// on a real PostgreSQL. Each service gets topics (and a group) of its own.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { OrderCancelledSchema, PaymentRequestedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { PaymentDeclinedSchema } from "@meshmart/proto/payments/v1/events_pb";
import { DeclineReason, PaymentService, PaymentStatus } from "@meshmart/proto/payments/v1/payments_pb";
import { paymentsService } from "./index.ts";
import { eventually } from "@meshmart/platform/test-support";
import { startEventWorld, type EventWorld } from "@meshmart/platform/events/test-event-world";

interface World extends EventWorld {
  client: Client<typeof PaymentService>;
}

async function startWorld(env: Record<string, string>): Promise<World> {
  const world = await startEventWorld(paymentsService, "orders", env);
  return { ...world, client: createClient(PaymentService, createConnectTransport({ baseUrl: world.service.url, httpVersion: "1.1" })) };
}

const handled = (world: World, eventIds: string[]) => world.handled(eventIds);
const emitted = (world: World, orderId: string) => world.emitted(orderId);
const types = (rows: Array<{ type: string }>) => rows.map((row) => row.type.replace("meshmart.payments.v1.", ""));

function newOrder(unitsMinor = 4200n) {
  const orderId = randomUUID();
  const customerId = randomUUID();
  return {
    orderId,
    customerId,
    request: { orderId, customerId, amount: { currencyCode: "EUR", unitsMinor } },
    cancel: { orderId, customerId, reason: CancelReason.DEADLINE_EXCEEDED, message: "saga deadline passed" },
  };
}

describe("payment events", () => {
  let world: World;
  before(async () => {
    world = await startWorld({ PAYMENT_DECLINE_RATE: "0", PAYMENT_LATENCY_MS: "20" });
  });
  after(() => world.close());

  it("captures once when the same PaymentRequested arrives twice under different event ids", async () => {
    const order = newOrder();
    const first = await world.source.emit(PaymentRequestedSchema, order.request, order.orderId);
    const second = await world.source.emit(PaymentRequestedSchema, order.request, order.orderId);
    await handled(world, [first, second]);

    const { payment } = await world.client.getPayment({ orderId: order.orderId });
    assert.equal(payment?.status, PaymentStatus.CAPTURED);
    assert.equal(payment?.customerId, order.customerId);
    assert.equal(payment?.amount?.unitsMinor, 4200n);
    assert.equal(payment?.capturedAmount?.unitsMinor, 4200n, "captured once, not twice");
    assert.equal(payment?.refundedAmount?.unitsMinor, 0n);
    const rows = await eventually(async () => {
      const rows = await emitted(world, order.orderId);
      return rows.every((row) => row.published) ? rows : undefined;
    }, { what: "PaymentCaptured published" });
    assert.deepEqual(types(rows), ["PaymentCaptured"]);
  });

  it("refunds a capture exactly once when the order is cancelled (twice), and never charges again", async () => {
    const order = newOrder(1500n);
    await handled(world, [await world.source.emit(PaymentRequestedSchema, order.request, order.orderId)]);
    const cancels = [
      await world.source.emit(OrderCancelledSchema, { ...order.cancel, paymentCaptured: true }, order.orderId),
      await world.source.emit(OrderCancelledSchema, { ...order.cancel, paymentCaptured: true }, order.orderId),
    ];
    const lateRequest = await world.source.emit(PaymentRequestedSchema, order.request, order.orderId);
    await handled(world, [...cancels, lateRequest]);

    const { payment } = await world.client.getPayment({ orderId: order.orderId });
    assert.equal(payment?.status, PaymentStatus.REFUNDED);
    assert.equal(payment?.capturedAmount?.unitsMinor, 1500n);
    assert.equal(payment?.refundedAmount?.unitsMinor, 1500n);
    assert.deepEqual(types(await emitted(world, order.orderId)), ["PaymentCaptured", "PaymentRefunded"]);
  });

  it("declines a PaymentRequested that arrives after the order's OrderCancelled, charging nothing", async () => {
    const order = newOrder();
    const cancel = await world.source.emit(OrderCancelledSchema, order.cancel, order.orderId);
    const request = await world.source.emit(PaymentRequestedSchema, order.request, order.orderId);
    await handled(world, [cancel, request]);

    const { payment } = await world.client.getPayment({ orderId: order.orderId });
    assert.equal(payment?.status, PaymentStatus.DECLINED);
    assert.equal(payment?.declineReason, DeclineReason.ORDER_CANCELLED);
    assert.equal(payment?.capturedAmount?.unitsMinor, 0n);
    const rows = await emitted(world, order.orderId);
    assert.deepEqual(types(rows), ["PaymentDeclined"]);
    assert.equal(fromBinary(PaymentDeclinedSchema, rows[0]!.payload).reason, DeclineReason.ORDER_CANCELLED);
  });
});

describe("payment events with a decline rate of 1", () => {
  let world: World;
  before(async () => {
    world = await startWorld({ PAYMENT_DECLINE_RATE: "1" });
  });
  after(() => world.close());

  it("declines every payment with PaymentDeclined, and a later cancel refunds nothing", async () => {
    const order = newOrder();
    await handled(world, [await world.source.emit(PaymentRequestedSchema, order.request, order.orderId)]);

    const { payment } = await world.client.getPayment({ orderId: order.orderId });
    assert.equal(payment?.status, PaymentStatus.DECLINED);
    assert.equal(payment?.capturedAmount?.unitsMinor, 0n);
    assert.ok(
      [DeclineReason.INSUFFICIENT_FUNDS, DeclineReason.FRAUD_SUSPECTED].includes(payment.declineReason),
      `reason ${DeclineReason[payment.declineReason]}`,
    );
    const [declined] = await emitted(world, order.orderId);
    const event = fromBinary(PaymentDeclinedSchema, declined!.payload);
    assert.equal(event.reason, payment.declineReason);
    assert.equal(event.paymentId, payment.id);

    const cancel = { ...order.cancel, reason: CancelReason.PAYMENT_DECLINED };
    await handled(world, [await world.source.emit(OrderCancelledSchema, cancel, order.orderId)]);
    const { payment: after } = await world.client.getPayment({ orderId: order.orderId });
    assert.equal(after?.status, PaymentStatus.DECLINED);
    assert.equal(after?.refundedAmount?.unitsMinor, 0n);
    assert.deepEqual(types(await emitted(world, order.orderId)), ["PaymentDeclined"]);
  });
});
