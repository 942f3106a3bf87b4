// InventoryService end to end: a real server on a real PostgreSQL, called by a
// Connect client over HTTP/1.1 and by a gRPC client over h2c.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, testKafkaBrokers } from "@meshmart/platform/test-support";
import { StockRejectedSchema, StockReleasedSchema } from "@meshmart/proto/inventory/v1/events_pb";
import {
  InventoryService,
  ReservationState,
  StockRejectionReason,
  type Stock,
} from "@meshmart/proto/inventory/v1/inventory_pb";
import { inventoryService } from "./index.ts";

describe("InventoryService", () => {
  let service: RunningService;
  let connect: Client<typeof InventoryService>;
  let grpc: Client<typeof InventoryService>;

  before(async () => {
    const env = {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: await createTestDatabase("inventory"),
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString("hex")}.`,
      OUTBOX_POLL_MS: "100",
    };
    service = await startService(inventoryService, { env });
    connect = createClient(InventoryService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
    grpc = createClient(InventoryService, createGrpcTransport({ baseUrl: service.url }));
  });
  after(() => service.stop());

  /** A new product with `available` units. */
  const stocked = async (available: number): Promise<string> => {
    const productId = randomUUID();
    await connect.setStock({ productId, available: BigInt(available) });
    return productId;
  };
  const stockOf = async (productId: string): Promise<Stock> => (await connect.getStock({ productIds: [productId] })).stocks[0]!;
  const counts = (stock: Stock) => ({
    available: Number(stock.available),
    reserved: Number(stock.reserved),
    sold: Number(stock.sold),
    stocked: Number(stock.stocked),
  });
  const outboxOf = async (orderId: string) =>
    (
      await service.runtime.db.query<{ type: string; payload: Buffer }>(
        "SELECT type, payload FROM outbox WHERE aggregate_id = $1 ORDER BY seq",
        [orderId],
      )
    ).rows;
  const rejectsWith = (code: Code) => (err: unknown) => {
    assert.equal(ConnectError.from(err).code, code, String(err));
    return true;
  };

  it("sets and gets stock: SetStock moves stocked by the change of available, unknown products are zeros", async () => {
    const productId = await stocked(10);
    assert.deepEqual(counts(await stockOf(productId)), { available: 10, reserved: 0, sold: 0, stocked: 10 });

    await connect.reserve({ orderId: randomUUID(), items: [{ productId, quantity: 3 }] });
    const { stock } = await grpc.setStock({ productId, available: 20n });
    assert.deepEqual(counts(stock!), { available: 20, reserved: 3, sold: 0, stocked: 23 }, "reserved units are untouched");
    const { stock: lowered } = await grpc.setStock({ productId, available: 0n });
    assert.deepEqual(counts(lowered!), { available: 0, reserved: 3, sold: 0, stocked: 3 });

    const again = await connect.setStock({ productId, available: 0n });
    assert.deepEqual(again.stock?.updateTime, lowered?.updateTime, "setting the same value changes nothing");

    const unknown = randomUUID();
    const { stocks } = await grpc.getStock({ productIds: [unknown, productId] });
    assert.deepEqual(stocks.map((s) => s.productId), [unknown, productId], "request order");
    assert.deepEqual(counts(stocks[0]!), { available: 0, reserved: 0, sold: 0, stocked: 0 });
    assert.equal(stocks[0]!.updateTime, undefined);
  });

  for (const [protocol, client] of [
    ["Connect over HTTP/1.1", () => connect],
    ["gRPC over h2c", () => grpc],
  ] as const) {
    it(`reserves, commits and releases, each idempotent by order id (${protocol})`, async () => {
      const a = await stocked(5);
      const b = await stocked(2);
      const orderId = randomUUID();
      const items = [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
      ];
      const first = await client().reserve({ orderId, items });
      assert.equal(first.reservation?.state, ReservationState.RESERVED);
      assert.deepEqual(first.reservation?.items.map((i) => [i.productId, i.quantity]), [[a, 2], [b, 1]]);
      const repeat = await client().reserve({ orderId, items: [...items].reverse() });
      assert.equal(repeat.reservation?.state, ReservationState.RESERVED, "same items in another order is the same request");
      assert.deepEqual(counts(await stockOf(a)), { available: 3, reserved: 2, sold: 0, stocked: 5 });

      await assert.rejects(
        client().reserve({ orderId, items: [{ productId: a, quantity: 1 }] }),
        rejectsWith(Code.FailedPrecondition),
        "same order id, other items",
      );

      assert.equal((await client().commit({ orderId })).reservation?.state, ReservationState.COMMITTED);
      assert.equal((await client().commit({ orderId })).reservation?.state, ReservationState.COMMITTED);
      assert.deepEqual(counts(await stockOf(a)), { available: 3, reserved: 0, sold: 2, stocked: 5 });
      assert.deepEqual(counts(await stockOf(b)), { available: 1, reserved: 0, sold: 1, stocked: 2 });
      await assert.rejects(client().release({ orderId }), rejectsWith(Code.FailedPrecondition), "committed units are sold");

      const other = randomUUID();
      await client().reserve({ orderId: other, items: [{ productId: a, quantity: 3 }] });
      assert.equal((await client().release({ orderId: other })).reservation?.state, ReservationState.RELEASED);
      assert.equal((await client().release({ orderId: other })).reservation?.state, ReservationState.RELEASED);
      assert.deepEqual(counts(await stockOf(a)), { available: 3, reserved: 0, sold: 2, stocked: 5 });
      await assert.rejects(client().commit({ orderId: other }), rejectsWith(Code.FailedPrecondition));
      const late = await client().reserve({ orderId: other, items: [{ productId: a, quantity: 3 }] });
      assert.equal(late.reservation?.state, ReservationState.RELEASED, "a released order reserves nothing again");
      assert.deepEqual(counts(await stockOf(a)), { available: 3, reserved: 0, sold: 2, stocked: 5 });
    });
  }

  it("reserves all items or none, with a reason per item, and the first decision stands", async () => {
    const plenty = await stocked(5);
    const scarce = await stocked(1);
    const unknown = randomUUID();
    const orderId = randomUUID();
    const items = [
      { productId: plenty, quantity: 2 },
      { productId: scarce, quantity: 2 },
      { productId: unknown, quantity: 1 },
    ];
    const { reservation } = await connect.reserve({ orderId, items });
    assert.equal(reservation?.state, ReservationState.REJECTED);
    assert.deepEqual(
      reservation?.rejections.map((r) => [r.productId, r.reason, r.requested, r.available]),
      [
        [scarce, StockRejectionReason.INSUFFICIENT_STOCK, 2, 1n],
        [unknown, StockRejectionReason.UNKNOWN_PRODUCT, 1, 0n],
      ],
    );
    assert.deepEqual(counts(await stockOf(plenty)), { available: 5, reserved: 0, sold: 0, stocked: 5 }, "nothing reserved");

    await connect.setStock({ productId: scarce, available: 10n });
    const again = await connect.reserve({ orderId, items });
    assert.equal(again.reservation?.state, ReservationState.REJECTED, "a repeat returns the first reservation");
    assert.deepEqual(counts(await stockOf(scarce)), { available: 10, reserved: 0, sold: 0, stocked: 10 });

    const released = await connect.release({ orderId });
    assert.equal(released.reservation?.state, ReservationState.REJECTED, "releasing a rejection is a no-op");
    await assert.rejects(connect.commit({ orderId }), rejectsWith(Code.FailedPrecondition));
  });

  it("records a RELEASED tombstone for a release of an unknown order, so a late reserve holds nothing", async () => {
    const productId = await stocked(4);
    const orderId = randomUUID();
    await assert.rejects(connect.commit({ orderId }), rejectsWith(Code.FailedPrecondition), "nothing to commit");
    const { reservation } = await connect.release({ orderId });
    assert.equal(reservation?.state, ReservationState.RELEASED);
    assert.deepEqual(reservation?.items, []);

    const late = await connect.reserve({ orderId, items: [{ productId, quantity: 4 }] });
    assert.equal(late.reservation?.state, ReservationState.RELEASED);
    assert.deepEqual(late.reservation?.items, [], "the tombstone keeps no items");
    assert.deepEqual(counts(await stockOf(productId)), { available: 4, reserved: 0, sold: 0, stocked: 4 });
  });

  it("emits an event per transition in the same transaction, none for a repeat", async () => {
    const productId = await stocked(1);
    const reserved = randomUUID();
    await connect.reserve({ orderId: reserved, items: [{ productId, quantity: 1 }] });
    await connect.reserve({ orderId: reserved, items: [{ productId, quantity: 1 }] });
    await connect.commit({ orderId: reserved });
    await connect.commit({ orderId: reserved });
    assert.deepEqual(
      (await outboxOf(reserved)).map((row) => row.type),
      ["meshmart.inventory.v1.StockReserved", "meshmart.inventory.v1.StockCommitted"],
    );

    const rejected = randomUUID();
    await connect.reserve({ orderId: rejected, items: [{ productId, quantity: 1 }] });
    await connect.release({ orderId: rejected });
    const [rejection] = await outboxOf(rejected);
    assert.equal((await outboxOf(rejected)).length, 1);
    assert.equal(rejection?.type, "meshmart.inventory.v1.StockRejected");
    assert.equal(fromBinary(StockRejectedSchema, rejection.payload).rejections[0]?.reason, StockRejectionReason.INSUFFICIENT_STOCK);

    const tombstone = randomUUID();
    await connect.release({ orderId: tombstone });
    await connect.release({ orderId: tombstone });
    const rows = await outboxOf(tombstone);
    assert.deepEqual(rows.map((row) => row.type), ["meshmart.inventory.v1.StockReleased"]);
    assert.deepEqual(fromBinary(StockReleasedSchema, rows[0]!.payload).items, []);
  });

  it("conserves stock under a concurrent burst: 50 orders for 20 units, products locked in opposite orders", async () => {
    const scarce = await stocked(20);
    const plenty = await stocked(1000);
    const orders = Array.from({ length: 50 }, () => randomUUID());
    const results = await Promise.all(
      orders.map((orderId, i) => {
        const items = [
          { productId: scarce, quantity: 1 },
          { productId: plenty, quantity: 2 },
        ];
        const client = i % 2 === 0 ? connect : grpc;
        return client.reserve({ orderId, items: i % 3 === 0 ? items.reverse() : items });
      }),
    );
    const states = results.map((r) => r.reservation?.state);
    assert.equal(states.filter((s) => s === ReservationState.RESERVED).length, 20);
    assert.equal(states.filter((s) => s === ReservationState.REJECTED).length, 30);
    assert.deepEqual(counts(await stockOf(scarce)), { available: 0, reserved: 20, sold: 0, stocked: 20 });
    assert.deepEqual(counts(await stockOf(plenty)), { available: 960, reserved: 40, sold: 0, stocked: 1000 });

    // The same order id from many callers at once: one reservation.
    const duplicated = randomUUID();
    const target = await stocked(10);
    const same = await Promise.all(
      Array.from({ length: 10 }, () => connect.reserve({ orderId: duplicated, items: [{ productId: target, quantity: 3 }] })),
    );
    assert.ok(same.every((r) => r.reservation?.state === ReservationState.RESERVED));
    assert.deepEqual(counts(await stockOf(target)), { available: 7, reserved: 3, sold: 0, stocked: 10 });

    // Settle half by commit and half by release, concurrently and each twice.
    const held = orders.filter((_, i) => results[i]!.reservation?.state === ReservationState.RESERVED);
    await Promise.all(
      held.flatMap((orderId, i): Promise<unknown>[] =>
        i % 2 === 0 ? [connect.commit({ orderId }), grpc.commit({ orderId })] : [connect.release({ orderId }), grpc.release({ orderId })],
      ),
    );
    assert.deepEqual(counts(await stockOf(scarce)), { available: 10, reserved: 0, sold: 10, stocked: 20 });
    assert.deepEqual(counts(await stockOf(plenty)), { available: 980, reserved: 0, sold: 20, stocked: 1000 });
  });

  it("audits every stock record and pages through every reservation", async () => {
    const productId = await stocked(100);
    for (let i = 0; i < 5; i++) await connect.reserve({ orderId: randomUUID(), items: [{ productId, quantity: 1 }] });

    const first = await connect.audit({ pageSize: 2 });
    assert.ok(first.stocks.some((s) => s.productId === productId));
    for (const stock of first.stocks) {
      assert.equal(stock.stocked, stock.available + stock.reserved + stock.sold, `conserved: ${stock.productId}`);
    }
    const seen = first.reservations.map((r) => r.orderId);
    let pageToken = first.nextPageToken;
    while (pageToken) {
      const page = await grpc.audit({ pageSize: 2, pageToken });
      assert.deepEqual(page.stocks, [], "stocks only in the first page");
      seen.push(...page.reservations.map((r) => r.orderId));
      pageToken = page.nextPageToken;
    }
    const { rows } = await service.runtime.db.query<{ order_id: string }>("SELECT order_id FROM reservations ORDER BY order_id");
    assert.deepEqual(seen, rows.map((row) => row.order_id), "every reservation once, in order id order");

    await assert.rejects(connect.audit({ pageToken: "not-a-token" }), rejectsWith(Code.InvalidArgument));
  });

  it("rejects invalid input with InvalidArgument and field details, changing nothing", async () => {
    const productId = await stocked(5);
    const fieldsOf = (err: unknown) =>
      ConnectError.from(err)
        .findDetails(ViolationsSchema)
        .flatMap((v) => v.violations)
        .map((v) => v.field?.elements.map((e) => e.fieldName).join("."));
    const invalid = (...fields: string[]) => (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.InvalidArgument);
      for (const field of fields) assert.ok(fieldsOf(err).includes(field), `violations name ${field}: ${fieldsOf(err).join(", ")}`);
      return true;
    };

    await assert.rejects(
      connect.reserve({ orderId: "not-a-uuid", items: [{ productId, quantity: 0 }] }),
      invalid("order_id", "items.quantity"),
    );
    await assert.rejects(
      grpc.reserve({
        orderId: randomUUID(),
        items: [
          { productId, quantity: 1 },
          { productId, quantity: 1 },
        ],
      }),
      invalid("items"),
    );
    await assert.rejects(connect.reserve({ orderId: randomUUID(), items: [] }), invalid("items"));
    await assert.rejects(connect.setStock({ productId, available: -1n }), invalid("available"));
    await assert.rejects(connect.getStock({ productIds: [] }), invalid("product_ids"));
    await assert.rejects(connect.release({ orderId: "" }), invalid("order_id"));
    await assert.rejects(connect.audit({ pageSize: 5000 }), invalid("page_size"));

    assert.deepEqual(counts(await stockOf(productId)), { available: 5, reserved: 0, sold: 0, stocked: 5 });
    const { rows } = await service.runtime.db.query("SELECT 1 FROM reservations WHERE items @> $1::jsonb", [
      JSON.stringify([{ productId }]),
    ]);
    assert.equal(rows.length, 0, "no reservation was recorded");
  });
});
