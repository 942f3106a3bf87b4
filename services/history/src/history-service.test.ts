// OrderHistoryService RPCs on a real server and PostgreSQL: paging, filters,
// the audit listing, and input the proto rules refuse. Summaries are written
// straight into the store here; history-events.test.ts drives them by events.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { PaymentState, ShipmentState } from "@meshmart/proto/history/v1/history_pb";
import { CancelReason, OrderStatus } from "@meshmart/proto/orders/v1/orders_pb";
import * as store from "./history-store.ts";
import { emptySummary, type StatusName } from "./summary-fold.ts";
import { startTestHistory, type TestHistory } from "./test-projection.ts";

describe("OrderHistoryService", () => {
  let history: TestHistory;
  const productId = randomUUID();
  let clock = Date.UTC(2025, 5, 1);

  before(async () => {
    history = await startTestHistory({ prefix: `t${randomBytes(4).toString("hex")}.` });
    await history.service.runtime.db.transaction((tx) =>
      store.productCreated(tx, { productId, sku: "S-1", name: "Sprocket", price: { currencyCode: "EUR", unitsMinor: 250n } }, new Date(clock)),
    );
  });
  after(() => history.stop());

  /** A placed order of `customerId` in `status`, placed a second after the previous one. */
  async function placed(customerId: string, status: StatusName = "PENDING"): Promise<string> {
    const orderId = randomUUID();
    const time = new Date((clock += 1_000));
    await history.service.runtime.db.transaction(async (tx) => {
      await store.saveState(tx, orderId, {
        ...emptySummary(time),
        customerId,
        placed: true,
        status,
        ...(status === "CANCELLED" ? { cancelReason: "OUT_OF_STOCK", cancelMessage: "sold out" } : {}),
        total: { currencyCode: "EUR", unitsMinor: 500n },
        paymentState: status === "CONFIRMED" ? "CAPTURED" : "NONE",
        shipmentState: status === "CONFIRMED" ? "BOOKED" : "NONE",
        trackingNumber: status === "CONFIRMED" ? "PX-9" : "",
        placeTime: time,
      });
      await store.insertLines(tx, orderId, [{ productId, quantity: 2, unitPrice: { currencyCode: "EUR", unitsMinor: 250n } }]);
    });
    return orderId;
  }

  it("gets one order's summary with its lines, product names and states in one answer", async () => {
    const customer = randomUUID();
    const id = await placed(customer, "CONFIRMED");
    const { order } = await history.client.getOrderHistory({ orderId: id });
    assert.equal(order?.customerId, customer);
    assert.equal(order?.status, OrderStatus.CONFIRMED);
    assert.equal(order?.paymentState, PaymentState.CAPTURED);
    assert.equal(order?.shipmentState, ShipmentState.BOOKED);
    assert.equal(order?.trackingNumber, "PX-9");
    assert.equal(order?.total?.unitsMinor, 500n);
    assert.deepEqual(order?.lines.map((l) => [l.productId, l.productName, l.quantity, l.unitPrice?.unitsMinor]), [[productId, "Sprocket", 2, 250n]]);
    assert.ok(order?.placeTime && order.updateTime);
    await assert.rejects(history.client.getOrderHistory({ orderId: randomUUID() }), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.NotFound);
      return true;
    });
  });

  it("lists a customer's orders newest first, paged, and by status", async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const aliceOrders = [await placed(alice), await placed(alice, "CONFIRMED"), await placed(bob), await placed(alice, "CANCELLED"), await placed(alice)];
    const mine = aliceOrders.filter((_, i) => i !== 2).reverse();

    const seen = await history.listAll({ customerId: alice }, 2);
    assert.deepEqual(seen.map((s) => s.orderId), mine, "newest first, across pages of 2");
    const times = seen.map((s) => timestampMs(s.placeTime!));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    const first = await history.client.listOrderHistory({ customerId: alice, pageSize: 2 });
    assert.match(first.nextPageToken, /^[0-9]{1,16}_[0-9a-f-]{36}$/);

    const cancelled = await history.client.listOrderHistory({ customerId: alice, status: OrderStatus.CANCELLED });
    assert.deepEqual(cancelled.orders.map((s) => s.orderId), [aliceOrders[3]]);
    assert.equal(cancelled.orders[0]!.cancelReason, CancelReason.OUT_OF_STOCK);
    assert.equal(cancelled.nextPageToken, "");
    const pending = await history.client.listOrderHistory({ customerId: alice, status: OrderStatus.PENDING });
    assert.deepEqual(pending.orders.map((s) => s.orderId), [aliceOrders[4], aliceOrders[0]]);
    assert.deepEqual((await history.listAll({ customerId: bob })).map((s) => s.orderId), [aliceOrders[2]]);
    assert.deepEqual((await history.listAll({ customerId: randomUUID() })), []);

    // A token is the last row's sort key: under another filter it continues from there.
    const afterFirst = await history.client.listOrderHistory({ status: OrderStatus.PENDING, pageToken: first.nextPageToken });
    assert.ok(afterFirst.orders.every((s) => s.status === OrderStatus.PENDING && timestampMs(s.placeTime!) <= times[1]!));
  });

  it("lists every summary without a customer (the audit listing), unplaced ones too", async () => {
    const partial = randomUUID();
    await history.service.runtime.db.transaction((tx) => store.saveState(tx, partial, { ...emptySummary(new Date((clock += 1_000))), paymentState: "DECLINED" }));
    const everything = await history.listAll({}, 3);
    const count = await store.countSummaries(history.service.runtime.db);
    assert.equal(everything.length, count);
    assert.equal(new Set(everything.map((s) => s.orderId)).size, count, "none listed twice across pages");
    const row = everything.find((s) => s.orderId === partial);
    assert.equal(row?.paymentState, PaymentState.DECLINED);
    assert.equal(row?.status, OrderStatus.UNSPECIFIED);
    assert.equal(row?.placeTime, undefined);
    const status = await history.client.getProjectionStatus({});
    assert.equal(status.orders, BigInt(count));
  });

  it("rejects invalid input with InvalidArgument naming the field", async () => {
    const fieldsOf = (err: unknown) =>
      ConnectError.from(err)
        .findDetails(ViolationsSchema)
        .flatMap((v) => v.violations)
        .map((v) => v.field?.elements.map((e) => e.fieldName).join("."));
    const cases: Array<[() => Promise<unknown>, string | undefined]> = [
      [() => history.client.getOrderHistory({ orderId: "not-a-uuid" }), "order_id"],
      [() => history.client.getOrderHistory({ orderId: "" }), "order_id"],
      [() => history.client.listOrderHistory({ customerId: "bob" }), "customer_id"],
      [() => history.client.listOrderHistory({ pageSize: 1001 }), "page_size"],
      [() => history.client.listOrderHistory({ pageSize: -1 }), "page_size"],
      [() => history.client.listOrderHistory({ status: 42 as OrderStatus }), "status"],
      [() => history.client.listOrderHistory({ pageToken: "x".repeat(1025) }), "page_token"],
      // Tokens of another form are refused by the service, naming the field in the message.
      [() => history.client.listOrderHistory({ pageToken: "garbage" }), undefined],
      [() => history.client.listOrderHistory({ pageToken: "1; DROP TABLE order_summaries" }), undefined],
      [() => history.client.listOrderHistory({ pageToken: randomUUID() }), undefined],
    ];
    for (const [call, field] of cases) {
      await assert.rejects(call(), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.InvalidArgument);
        if (field) assert.ok(fieldsOf(err).includes(field), `violations name ${field}: ${fieldsOf(err).join(", ")}`);
        else assert.match(ConnectError.from(err).message, /page_token/);
        return true;
      });
    }
  });
});
