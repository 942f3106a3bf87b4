// inventory in the order saga, on real Kafka: a stand-in for orders (its own
// database, outbox and relay, on the same topic prefix) publishes order
// events; inventory must answer each through its outbox and move stock.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fromBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  createLogger,
  Database,
  KafkaEventBus,
  Outbox,
  OutboxRelay,
  startService,
  topicOf,
  type RunningService,
} from "@meshmart/platform";
import { createTestDatabase, eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import {
  StockCommittedSchema,
  StockRejectedSchema,
  StockReleasedSchema,
  StockReservedSchema,
} from "@meshmart/proto/inventory/v1/events_pb";
import { InventoryService, ReservationState, StockRejectionReason } from "@meshmart/proto/inventory/v1/inventory_pb";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { OrderCancelledSchema, OrderConfirmedSchema, OrderPlacedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { Registry } from "prom-client";
import { inventoryService } from "./index.ts";

const answers = {
  [StockReservedSchema.typeName]: StockReservedSchema,
  [StockRejectedSchema.typeName]: StockRejectedSchema,
  [StockReleasedSchema.typeName]: StockReleasedSchema,
  [StockCommittedSchema.typeName]: StockCommittedSchema,
} as const;

describe("inventory order events", () => {
  let service: RunningService;
  let client: Client<typeof InventoryService>;
  // The stand-in for orders.
  let ordersDb: Database;
  let ordersOutbox: Outbox;
  let relay: OutboxRelay;
  let bus: KafkaEventBus;

  before(async () => {
    const prefix = `t${randomBytes(4).toString("hex")}.`;
    const logger = createLogger("orders-stand-in", "silent");
    const ordersUrl = await createTestDatabase("inventory_orders");
    ordersDb = new Database(ordersUrl, logger);
    await ordersDb.migrate();
    bus = new KafkaEventBus({ brokers: testKafkaBrokers(), clientId: "orders-stand-in", logger });
    await bus.ensureTopics([prefix + topicOf(OrderPlacedSchema)], 3);
    ordersOutbox = new Outbox("/meshmart/orders", prefix);
    relay = new OutboxRelay({ db: ordersDb, databaseUrl: ordersUrl, bus, logger, registry: new Registry(), pollIntervalMs: 100 });
    relay.start();

    service = await startService(inventoryService, {
      env: {
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        DATABASE_URL: await createTestDatabase("inventory_events"),
        KAFKA_BROKERS: testKafkaBrokers().join(","),
        KAFKA_TOPIC_PREFIX: prefix,
        OUTBOX_POLL_MS: "100",
      },
    });
    client = createClient(InventoryService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
  });
  after(async () => {
    await service.stop();
    await relay.stop();
    await bus.close();
    await ordersDb.close();
  });

  const emit = <Desc extends DescMessage>(schema: Desc, data: MessageInitShape<Desc>, orderId: string) =>
    ordersDb.transaction((tx) => ordersOutbox.emit(tx, schema, data, { key: orderId }));
  const item = (productId: string, quantity: number) => ({
    productId,
    quantity,
    unitPrice: { currencyCode: "EUR", unitsMinor: 1000n },
  });
  const placed = (orderId: string, items: ReturnType<typeof item>[]) =>
    emit(
      OrderPlacedSchema,
      {
        orderId,
        customerId: randomUUID(),
        items,
        total: { currencyCode: "EUR", unitsMinor: 1000n },
        deadline: timestampFromDate(new Date(Date.now() + 60_000)),
      },
      orderId,
    );
  const confirmed = (orderId: string) =>
    emit(OrderConfirmedSchema, { orderId, customerId: randomUUID(), total: { currencyCode: "EUR", unitsMinor: 1000n } }, orderId);
  const cancelled = (orderId: string) =>
    emit(OrderCancelledSchema, { orderId, customerId: randomUUID(), reason: CancelReason.CUSTOMER_REQUESTED }, orderId);

  /** inventory's published events for an order, decoded, once there are `count` of them. */
  const answersFor = async (orderId: string, count: number) => {
    const rows = await eventually(
      async () => {
        const { rows } = await service.runtime.db.query<{ type: string; payload: Buffer; published: boolean }>(
          "SELECT type, payload, published_at IS NOT NULL AS published FROM outbox WHERE aggregate_id = $1 ORDER BY seq",
          [orderId],
        );
        return rows.length >= count && rows.every((row) => row.published) ? rows : undefined;
      },
      { what: `${count} published answers for ${orderId}` },
    );
    assert.equal(rows.length, count, "no extra answers");
    return rows.map((row) => {
      const schema = answers[row.type as keyof typeof answers];
      assert.ok(schema, `unexpected event ${row.type}`);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- protobuf-es messages are typed by their schema only through the cast
      return { type: row.type.split(".").at(-1), data: fromBinary(schema as DescMessage, row.payload) as Record<string, unknown> };
    });
  };
  const stockOf = async (productId: string) => {
    const stock = (await client.getStock({ productIds: [productId] })).stocks[0]!;
    return [Number(stock.available), Number(stock.reserved), Number(stock.sold)];
  };
  const stocked = async (available: number) => {
    const productId = randomUUID();
    await client.setStock({ productId, available: BigInt(available) });
    return productId;
  };

  it("OrderPlaced reserves (StockReserved) and OrderConfirmed commits (StockCommitted)", async () => {
    const productId = await stocked(5);
    const orderId = randomUUID();
    await placed(orderId, [item(productId, 2)]);
    const [reserved] = await answersFor(orderId, 1);
    assert.equal(reserved?.type, "StockReserved");
    assert.deepEqual((reserved.data.items as Array<{ productId: string; quantity: number }>).map((i) => [i.productId, i.quantity]), [
      [productId, 2],
    ]);
    assert.deepEqual(await stockOf(productId), [3, 2, 0]);

    await confirmed(orderId);
    const [, committed] = await answersFor(orderId, 2);
    assert.equal(committed?.type, "StockCommitted");
    assert.deepEqual(await stockOf(productId), [3, 0, 2]);
  });

  it("OrderPlaced that cannot be met rejects with a reason per item and reserves nothing; its cancel answers StockReleased", async () => {
    const plenty = await stocked(10);
    const scarce = await stocked(1);
    const orderId = randomUUID();
    await placed(orderId, [item(plenty, 1), item(scarce, 3)]);
    const [rejected] = await answersFor(orderId, 1);
    assert.equal(rejected?.type, "StockRejected");
    const rejections = rejected.data.rejections as Array<{ productId: string; reason: number; requested: number; available: bigint }>;
    assert.deepEqual(
      rejections.map((r) => [r.productId, r.reason, r.requested, r.available]),
      [[scarce, StockRejectionReason.INSUFFICIENT_STOCK, 3, 1n]],
    );
    assert.deepEqual(await stockOf(plenty), [10, 0, 0]);

    await cancelled(orderId); // the saga cancels, and must hear back to end
    const [, released] = await answersFor(orderId, 2);
    assert.equal(released?.type, "StockReleased");
    assert.deepEqual(released.data.items, []);
  });

  it("OrderCancelled releases a reservation; one before OrderPlaced leaves a tombstone, so the late order holds nothing", async () => {
    const productId = await stocked(4);
    const orderId = randomUUID();
    await placed(orderId, [item(productId, 4)]);
    await cancelled(orderId);
    const [reserved, released] = await answersFor(orderId, 2);
    assert.equal(reserved?.type, "StockReserved");
    assert.equal(released?.type, "StockReleased");
    assert.equal((released.data.items as unknown[]).length, 1, "the units given back");
    assert.deepEqual(await stockOf(productId), [4, 0, 0]);

    const early = randomUUID();
    await cancelled(early);
    await placed(early, [item(productId, 4)]);
    const [tombstone, late] = await answersFor(early, 2);
    assert.equal(tombstone?.type, "StockReleased");
    assert.deepEqual(tombstone.data.items, [], "nothing was reserved");
    assert.equal(late?.type, "StockRejected", "the late order is answered, and reserves nothing");
    assert.deepEqual(late.data.rejections, []);
    assert.deepEqual(await stockOf(productId), [4, 0, 0]);
    assert.equal((await client.release({ orderId: early })).reservation?.state, ReservationState.RELEASED);
  });

  it("answers again, without moving stock, when the work was already done (redelivery, or the RPC first)", async () => {
    const productId = await stocked(10);
    const orderId = randomUUID();
    await placed(orderId, [item(productId, 3)]);
    await answersFor(orderId, 1);
    await placed(orderId, [item(productId, 3)]); // a new event id: the inbox lets it through
    const [first, second] = await answersFor(orderId, 2);
    assert.deepEqual([first?.type, second?.type], ["StockReserved", "StockReserved"]);
    assert.deepEqual(await stockOf(productId), [7, 3, 0]);

    const viaRpc = randomUUID();
    await client.reserve({ orderId: viaRpc, items: [{ productId, quantity: 2 }] });
    await placed(viaRpc, [item(productId, 2)]);
    await confirmed(viaRpc);
    await confirmed(viaRpc);
    const events = await answersFor(viaRpc, 4);
    assert.deepEqual(
      events.map((e) => e.type),
      ["StockReserved", "StockReserved", "StockCommitted", "StockCommitted"],
    );
    assert.deepEqual(await stockOf(productId), [5, 3, 2]);
  });
});
