// ShippingService RPCs on a real server and PostgreSQL: audit reads and input
// the proto rules refuse. Shipments are written straight into the store here;
// shipment-events.test.ts drives them by events.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, testKafkaBrokers } from "@meshmart/platform/test-support";
import { ShipmentFailureReason, ShippingService, ShipmentStatus } from "@meshmart/proto/shipping/v1/shipping_pb";
import { shippingService } from "./index.ts";
import * as store from "./shipment-store.ts";

describe("ShippingService", () => {
  let service: RunningService;
  let client: Client<typeof ShippingService>;

  before(async () => {
    const prefix = `t${randomBytes(4).toString("hex")}.`;
    service = await startService(shippingService, {
      env: {
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        DATABASE_URL: await createTestDatabase("shipping_rpc"),
        KAFKA_BROKERS: testKafkaBrokers().join(","),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_CONSUMER_GROUP: `${prefix}shipping`,
      },
    });
    client = createClient(ShippingService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
  });
  after(() => service.stop());

  const booked = (itemCount = 2, orderId: string = randomUUID()) =>
    store.insertShipment(service.runtime.db, {
      orderId,
      customerId: randomUUID(),
      itemCount,
      status: ShipmentStatus.BOOKED,
      carrier: "simulated-post",
      trackingNumber: `sp_${orderId}`,
    });
  const failed = (orderId: string = randomUUID()) =>
    store.insertShipment(service.runtime.db, {
      orderId,
      customerId: randomUUID(),
      itemCount: 1,
      status: ShipmentStatus.FAILED,
      failureReason: ShipmentFailureReason.UNSERVICEABLE,
      failureMessage: "no delivery there",
    });

  it("gets a shipment by order id, over Connect and gRPC", async () => {
    const shipment = await booked(7);
    const grpc = createClient(ShippingService, createGrpcTransport({ baseUrl: service.url }));
    for (const c of [client, grpc]) {
      const res = await c.getShipment({ orderId: shipment.orderId });
      assert.equal(res.shipment?.id, shipment.id);
      assert.equal(res.shipment?.status, ShipmentStatus.BOOKED);
      assert.equal(res.shipment?.itemCount, 7);
      assert.equal(res.shipment?.carrier, "simulated-post");
      assert.equal(res.shipment?.trackingNumber, `sp_${shipment.orderId}`);
    }
  });

  it("answers an order without a shipment with NotFound", async () => {
    await assert.rejects(client.getShipment({ orderId: randomUUID() }), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.NotFound);
      return true;
    });
  });

  it("refuses a second shipment row for an order (the guard against booking twice)", async () => {
    const shipment = await booked();
    await assert.rejects(booked(2, shipment.orderId), /shipments_order_id_key/);
  });

  it("refuses a FAILED row without a reason and a BOOKED row without a tracking number", async () => {
    const insert = (status: string, failureReason: string | null, trackingNumber: string | null) =>
      service.runtime.db.query(
        `INSERT INTO shipments (id, order_id, customer_id, status, carrier, tracking_number, item_count, failure_reason)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7)`,
        [randomUUID(), randomUUID(), randomUUID(), status, trackingNumber && "simulated-post", trackingNumber, failureReason],
      );
    await assert.rejects(insert("FAILED", null, null), /check constraint/);
    await assert.rejects(insert("BOOKED", "UNSERVICEABLE", "sp_1"), /check constraint/);
    await assert.rejects(insert("BOOKED", null, null), /check constraint/);
    await assert.rejects(insert("FAILED", "UNSERVICEABLE", "sp_1"), /check constraint/);
  });

  it("lists every shipment in order id order, paged, and by status", async () => {
    // A fresh database per file, but earlier tests wrote shipments too: compare with the store's view.
    for (let i = 0; i < 3; i++) await booked(i + 1);
    for (let i = 0; i < 2; i++) await failed();
    const { rows } = await service.runtime.db.query<{ order_id: string; status: string }>(
      "SELECT order_id, status FROM shipments ORDER BY order_id",
    );

    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await client.listShipments({ pageSize: 2, pageToken });
      assert.ok(page.shipments.length <= 2);
      seen.push(...page.shipments.map((s) => s.orderId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(seen, rows.map((row) => row.order_id));

    const { shipments: all } = await client.listShipments({});
    assert.equal(all.length, rows.length, "the default page holds them all");

    const { shipments: failedOnly } = await client.listShipments({ status: ShipmentStatus.FAILED });
    assert.deepEqual(
      failedOnly.map((s) => s.orderId),
      rows.filter((row) => row.status === "FAILED").map((row) => row.order_id),
    );
    assert.ok(failedOnly.every((s) => s.failureReason === ShipmentFailureReason.UNSERVICEABLE && s.failureMessage));

    // A token is the last order id seen: under another filter it continues from there; another form is refused.
    const first = await client.listShipments({ pageSize: 1 });
    const bookedAfter = await client.listShipments({ status: ShipmentStatus.BOOKED, pageToken: first.nextPageToken });
    assert.ok(bookedAfter.shipments.every((s) => s.orderId > first.nextPageToken && s.status === ShipmentStatus.BOOKED));
    await assert.rejects(client.listShipments({ pageToken: "not-an-order-id" }), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.InvalidArgument, "a token of another form");
      return true;
    });
  });

  it("rejects invalid input with InvalidArgument naming the field", async () => {
    const fieldsOf = (err: unknown) =>
      ConnectError.from(err)
        .findDetails(ViolationsSchema)
        .flatMap((v) => v.violations)
        .map((v) => v.field?.elements.map((e) => e.fieldName).join("."));
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.getShipment({ orderId: "not-a-uuid" }), "order_id"],
      [() => client.getShipment({ orderId: "" }), "order_id"],
      [() => client.listShipments({ pageSize: 5000 }), "page_size"],
      [() => client.listShipments({ pageSize: -1 }), "page_size"],
      [() => client.listShipments({ status: 42 as ShipmentStatus }), "status"],
      [() => client.listShipments({ pageToken: "x".repeat(1025) }), "page_token"],
      [() => client.listShipments({ pageToken: "garbage" }), "page_token"],
    ];
    for (const [call, field] of cases) {
      await assert.rejects(call(), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.InvalidArgument);
        assert.ok(fieldsOf(err).includes(field), `violations name ${field}: ${fieldsOf(err).join(", ")}`);
        return true;
      });
    }
  });

  it("refuses to start with a failure rate outside 0..1, naming the variable", async () => {
    await assert.rejects(
      startService(shippingService, { env: { PORT: "0", DATABASE_URL: "postgres://unused", KAFKA_BROKERS: "x:1", SHIPPING_FAILURE_RATE: "1.5" } }),
      { message: 'config: SHIPPING_FAILURE_RATE must be a number between 0 and 1 (got "1.5")' },
    );
  });
});
