// PaymentService RPCs on a real server and PostgreSQL: audit reads, the
// idempotent Refund, and input the proto rules refuse. Payments are written
// straight into the store here; payment-events.test.ts drives them by events.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, testKafkaBrokers } from "@meshmart/platform/test-support";
import { PaymentRefundedSchema } from "@meshmart/proto/payments/v1/events_pb";
import { DeclineReason, PaymentService, PaymentStatus } from "@meshmart/proto/payments/v1/payments_pb";
import { paymentsService } from "./index.ts";
import * as store from "./payment-store.ts";

describe("PaymentService", () => {
  let service: RunningService;
  let client: Client<typeof PaymentService>;

  before(async () => {
    const prefix = `t${randomBytes(4).toString("hex")}.`;
    service = await startService(paymentsService, {
      env: {
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        DATABASE_URL: await createTestDatabase("payments_rpc"),
        KAFKA_BROKERS: testKafkaBrokers().join(","),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_CONSUMER_GROUP: `${prefix}payments`,
      },
    });
    client = createClient(PaymentService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
  });
  after(() => service.stop());

  const captured = (amountMinor = 2500n, orderId: string = randomUUID()) =>
    store.insertPayment(service.runtime.db, {
      orderId,
      customerId: randomUUID(),
      currencyCode: "EUR",
      amountMinor,
      status: PaymentStatus.CAPTURED,
      providerReference: `ch_${orderId}`,
    });
  const declined = (orderId: string = randomUUID()) =>
    store.insertPayment(service.runtime.db, {
      orderId,
      customerId: randomUUID(),
      currencyCode: "EUR",
      amountMinor: 100n,
      status: PaymentStatus.DECLINED,
      declineReason: DeclineReason.INSUFFICIENT_FUNDS,
      declineMessage: "no funds",
    });
  const outboxTypes = async (orderId: string) =>
    (
      await service.runtime.db.query<{ type: string; payload: Buffer }>(
        "SELECT type, payload FROM outbox WHERE aggregate_id = $1 ORDER BY seq",
        [orderId],
      )
    ).rows;

  it("gets a payment by order id, over Connect and gRPC", async () => {
    const payment = await captured(990n);
    const grpc = createClient(PaymentService, createGrpcTransport({ baseUrl: service.url }));
    for (const c of [client, grpc]) {
      const res = await c.getPayment({ orderId: payment.orderId });
      assert.equal(res.payment?.id, payment.id);
      assert.equal(res.payment?.status, PaymentStatus.CAPTURED);
      assert.equal(res.payment?.capturedAmount?.unitsMinor, 990n);
      assert.equal(res.payment?.amount?.currencyCode, "EUR");
    }
  });

  it("answers an order without a payment with NotFound", async () => {
    await assert.rejects(client.getPayment({ orderId: randomUUID() }), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.NotFound);
      return true;
    });
    await assert.rejects(client.refund({ orderId: randomUUID() }), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.NotFound);
      return true;
    });
  });

  it("refunds a capture once: a second Refund returns it unchanged and emits nothing", async () => {
    const payment = await captured(2500n);
    const first = await client.refund({ orderId: payment.orderId, reason: "operator: goodwill" });
    assert.equal(first.payment?.status, PaymentStatus.REFUNDED);
    assert.equal(first.payment?.refundedAmount?.unitsMinor, 2500n);
    const second = await client.refund({ orderId: payment.orderId, reason: "again" });
    assert.equal(second.payment?.status, PaymentStatus.REFUNDED);
    assert.equal(second.payment?.refundedAmount?.unitsMinor, 2500n);

    const rows = await outboxTypes(payment.orderId);
    assert.deepEqual(rows.map((row) => row.type), ["meshmart.payments.v1.PaymentRefunded"]);
    const event = fromBinary(PaymentRefundedSchema, rows[0]!.payload);
    assert.equal(event.paymentId, payment.id);
    assert.equal(event.amount?.unitsMinor, 2500n);
  });

  it("refunds concurrent Refund calls for one order exactly once", async () => {
    const payment = await captured(700n);
    const results = await Promise.all(Array.from({ length: 5 }, () => client.refund({ orderId: payment.orderId })));
    assert.ok(results.every((res) => res.payment?.refundedAmount?.unitsMinor === 700n));
    assert.equal((await outboxTypes(payment.orderId)).length, 1);
  });

  it("returns a declined payment unchanged from Refund: nothing was captured", async () => {
    const payment = await declined();
    const { payment: after } = await client.refund({ orderId: payment.orderId });
    assert.equal(after?.status, PaymentStatus.DECLINED);
    assert.equal(after?.refundedAmount?.unitsMinor, 0n);
    assert.deepEqual(await outboxTypes(payment.orderId), []);
  });

  it("refuses a second payment row for an order (the guard against charging twice)", async () => {
    const payment = await captured();
    await assert.rejects(captured(2500n, payment.orderId), /payments_order_id_key/);
  });

  it("lists every payment in order id order, paged, and by status", async () => {
    // A fresh database per file, but earlier tests wrote payments too: compare with the store's view.
    for (let i = 0; i < 3; i++) await captured(BigInt(100 + i));
    for (let i = 0; i < 2; i++) await declined();
    const { rows } = await service.runtime.db.query<{ order_id: string; status: string }>(
      "SELECT order_id, status FROM payments ORDER BY order_id",
    );

    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await client.listPayments({ pageSize: 2, pageToken });
      assert.ok(page.payments.length <= 2);
      seen.push(...page.payments.map((p) => p.orderId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(seen, rows.map((row) => row.order_id));

    const { payments: declinedOnly } = await client.listPayments({ status: PaymentStatus.DECLINED });
    assert.deepEqual(
      declinedOnly.map((p) => p.orderId),
      rows.filter((row) => row.status === "DECLINED").map((row) => row.order_id),
    );
    assert.ok(declinedOnly.every((p) => p.declineReason === DeclineReason.INSUFFICIENT_FUNDS));

    // A token is the last order id seen: under another filter it continues from there; another form is refused.
    const first = await client.listPayments({ pageSize: 1 });
    const capturedAfter = await client.listPayments({ status: PaymentStatus.CAPTURED, pageToken: first.nextPageToken });
    assert.ok(capturedAfter.payments.every((p) => p.orderId > first.nextPageToken && p.status === PaymentStatus.CAPTURED));
    await assert.rejects(client.listPayments({ pageToken: "not-an-order-id" }), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.InvalidArgument, "a token of another form");
      return true;
    });
  });

  it("rejects invalid input with InvalidArgument naming the field, changing nothing", async () => {
    const fieldsOf = (err: unknown) =>
      ConnectError.from(err)
        .findDetails(ViolationsSchema)
        .flatMap((v) => v.violations)
        .map((v) => v.field?.elements.map((e) => e.fieldName).join("."));
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.getPayment({ orderId: "not-a-uuid" }), "order_id"],
      [() => client.refund({ orderId: "" }), "order_id"],
      [() => client.refund({ orderId: randomUUID(), reason: "x".repeat(501) }), "reason"],
      [() => client.listPayments({ pageSize: 5000 }), "page_size"],
      [() => client.listPayments({ status: 42 as PaymentStatus }), "status"],
      [() => client.listPayments({ pageToken: "garbage" }), "page_token"],
    ];
    const before = await service.runtime.db.query("SELECT 1 FROM outbox");
    for (const [call, field] of cases) {
      await assert.rejects(call(), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.InvalidArgument);
        assert.ok(fieldsOf(err).includes(field), `violations name ${field}: ${fieldsOf(err).join(", ")}`);
        return true;
      });
    }
    assert.equal((await service.runtime.db.query("SELECT 1 FROM outbox")).rowCount, before.rowCount);
  });

  it("refuses to start with a decline rate outside 0..1, naming the variable", async () => {
    await assert.rejects(
      startService(paymentsService, { env: { PORT: "0", DATABASE_URL: "postgres://unused", KAFKA_BROKERS: "x:1", PAYMENT_DECLINE_RATE: "1.5" } }),
      { message: 'config: PAYMENT_DECLINE_RATE must be a number between 0 and 1 (got "1.5")' },
    );
  });
});
