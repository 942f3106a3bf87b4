// OrderService end to end: orders in-process on its own PostgreSQL, pricing
// against a real catalog in-process (seeded, its own database), both on the
// real Kafka. No inventory or payments run, so orders stay PENDING until they
// are cancelled (by the customer, or by the deadline sweeper).
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { catalogService } from "@meshmart/catalog";
import { demoProductId as seedProductId } from "@meshmart/fixtures";
import { startService, type Row, type RunningService } from "@meshmart/platform";
import { createTestDatabase, eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import { OrderCancelledSchema, OrderPlacedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { CancelReason, OrderService, OrderStatus, SagaStep, type Order } from "@meshmart/proto/orders/v1/orders_pb";
import { ordersService } from "./index.ts";
import * as store from "./order-store.ts";
import { foldTimeline, readTimeline } from "./order-timeline.ts";

// Seed prices (catalog's seed-products.ts), in EUR cents.
const book = { id: seedProductId("BOOK-SRE"), priceMinor: 4499n };
const mug = { id: seedProductId("MUG-MESH"), priceMinor: 1499n };
const socks = { id: seedProductId("SOCKS-SIDECAR"), priceMinor: 999n };
/** Priced by no test before catalog is stopped: never in orders' product cache. */
const lamp = { id: seedProductId("LAMP-LED") };

const rejectsWith = (code: Code, message?: RegExp) => (err: unknown) => {
  const error = ConnectError.from(err);
  assert.equal(error.code, code, String(err));
  if (message) assert.match(error.rawMessage, message);
  return true;
};

describe("OrderService", () => {
  let catalog: RunningService;
  let orders: RunningService;
  /** A second orders replica, started by the sweeper test. */
  let replica: RunningService | undefined;
  let client: Client<typeof OrderService>;
  let ordersEnv: Record<string, string>;

  before(async () => {
    const prefix = `t${randomBytes(4).toString("hex")}.`;
    const common = {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      OUTBOX_POLL_MS: "100",
      SHUTDOWN_TIMEOUT_MS: "2000",
    };
    const [catalogDb, ordersDb] = await Promise.all([createTestDatabase("catalog"), createTestDatabase("orders")]);
    catalog = await startService(catalogService, { env: { ...common, DATABASE_URL: catalogDb, CATALOG_SEED: "true" } });
    ordersEnv = {
      ...common,
      DATABASE_URL: ordersDb,
      CATALOG_URL: catalog.url,
      // Long enough that no order here expires, except in the sweeper test (its own replica).
      SAGA_TIMEOUT_MS: "3600000",
      SAGA_SWEEP_INTERVAL_MS: "100",
    };
    orders = await startService(ordersService, { env: ordersEnv });
    client = createClient(OrderService, createConnectTransport({ baseUrl: orders.url, httpVersion: "1.1" }));
  });
  // Together: each orders instance takes a few seconds to leave Kafka (its consumer's fetch long-poll).
  after(() => Promise.all([orders?.stop(), replica?.stop(), catalog?.stop()]));

  const query = async <R extends Row>(sql: string, values: unknown[] = []) =>
    (await orders.runtime.db.query<R>(sql, values)).rows;
  const ordersOf = async (customerId: string) =>
    query<{ id: string; status: string }>("SELECT id, status FROM orders WHERE customer_id = $1", [customerId]);
  const outboxOf = (orderId: string, type?: string) =>
    query<{ type: string; topic: string; payload: Buffer; headers: Record<string, string>; published: boolean }>(
      `SELECT type, topic, payload, headers, published_at IS NOT NULL AS published FROM outbox
       WHERE aggregate_id = $1 ${type ? "AND type = $2" : ""} ORDER BY seq`,
      type ? [orderId, type] : [orderId],
    );
  const place = (customerId: string, items: Array<{ productId: string; quantity: number }>, idempotencyKey = randomUUID()) =>
    client.placeOrder({ customerId, items, idempotencyKey });

  it("prices the items from catalog, stores the order PENDING and writes OrderPlaced to the outbox with it", async () => {
    const customerId = randomUUID();
    const key = randomUUID();
    const before = Date.now();
    const { order, replayed } = await place(customerId, [{ productId: book.id, quantity: 2 }, { productId: mug.id, quantity: 3 }], key);
    assert.ok(order);
    assert.equal(replayed, false);
    assert.equal(order.status, OrderStatus.PENDING);
    assert.equal(order.customerId, customerId);
    assert.equal(order.idempotencyKey, key);
    assert.deepEqual(
      order.items.map((item) => [item.productId, item.quantity, item.unitPrice?.unitsMinor, item.unitPrice?.currencyCode]),
      [
        [book.id, 2, 4499n, "EUR"],
        [mug.id, 3, 1499n, "EUR"],
      ],
    );
    assert.equal(order.total?.currencyCode, "EUR");
    assert.equal(order.total?.unitsMinor, 2n * book.priceMinor + 3n * mug.priceMinor);
    assert.equal(order.total?.unitsMinor, 13495n);
    const deadline = timestampMs(order.deadline!);
    assert.ok(deadline >= before + 3_600_000 && deadline <= Date.now() + 3_600_000, "deadline = placement + SAGA_TIMEOUT_MS");

    const { order: fetched } = await client.getOrder({ id: order.id });
    assert.deepEqual(fetched, order);
    assert.deepEqual(await ordersOf(customerId), [{ id: order.id, status: "PENDING" }]);

    // The event is there as soon as PlaceOrder answered: it was committed with the order.
    const [placed, ...others] = await outboxOf(order.id);
    assert.ok(placed, "OrderPlaced is in the outbox");
    assert.equal(others.length, 0);
    assert.equal(placed.type, "meshmart.orders.v1.OrderPlaced");
    assert.equal(placed.topic, `${ordersEnv.KAFKA_TOPIC_PREFIX}meshmart.orders.v1`);
    const event = fromBinary(OrderPlacedSchema, placed.payload);
    assert.equal(event.orderId, order.id);
    assert.equal(event.customerId, customerId);
    assert.equal(event.total?.unitsMinor, 13495n);
    assert.deepEqual(event.items.map((item) => [item.productId, item.quantity, item.unitPrice?.unitsMinor]), [
      [book.id, 2, 4499n],
      [mug.id, 3, 1499n],
    ]);
    assert.equal(timestampMs(event.deadline!), deadline);

    // ... and the relay publishes it.
    await eventually(async () => ((await outboxOf(order.id))[0]?.published ? true : undefined), { what: "OrderPlaced published" });
  });

  it("stores no order when the outbox write fails (one transaction)", async () => {
    const db = orders.runtime.db;
    await db.query(`
      CREATE FUNCTION test_refuse_order_placed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'test: outbox refuses OrderPlaced'; END $$;
      CREATE TRIGGER test_refuse_order_placed BEFORE INSERT ON outbox FOR EACH ROW
        WHEN (NEW.type = 'meshmart.orders.v1.OrderPlaced') EXECUTE FUNCTION test_refuse_order_placed();`);
    const customerId = randomUUID();
    try {
      await assert.rejects(place(customerId, [{ productId: book.id, quantity: 1 }]), rejectsWith(Code.Internal));
    } finally {
      await db.query("DROP TRIGGER test_refuse_order_placed ON outbox; DROP FUNCTION test_refuse_order_placed();");
    }
    assert.deepEqual(await ordersOf(customerId), [], "the order was rolled back with the event");
    assert.deepEqual(
      await query("SELECT 1 FROM order_items i LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL"),
      [],
      "no orphan items",
    );
  });

  it("is idempotent by customer and key: a retry replays the order, other items with the key are refused", async () => {
    const customerId = randomUUID();
    const key = randomUUID();
    const items = [{ productId: book.id, quantity: 1 }, { productId: socks.id, quantity: 4 }];
    const first = await place(customerId, items, key);
    const retry = await place(customerId, [...items].reverse(), key); // same items, other order
    assert.equal(first.replayed, false);
    assert.equal(retry.replayed, true);
    assert.deepEqual(retry.order, first.order);
    assert.equal((await ordersOf(customerId)).length, 1);
    assert.equal((await outboxOf(first.order!.id)).length, 1, "one OrderPlaced");

    await assert.rejects(
      place(customerId, [{ productId: book.id, quantity: 2 }, { productId: socks.id, quantity: 4 }], key),
      rejectsWith(Code.FailedPrecondition, new RegExp(`idempotency key "${key}" was already used`)),
    );
    assert.equal((await ordersOf(customerId)).length, 1);

    const otherCustomer = randomUUID();
    const other = await place(otherCustomer, items, key);
    assert.equal(other.replayed, false, "keys are per customer");
    assert.notEqual(other.order?.id, first.order?.id);
  });

  it("makes one order of 10 concurrent calls with one key", async () => {
    const customerId = randomUUID();
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => place(customerId, [{ productId: mug.id, quantity: 1 }], key)));
    const ids = new Set(results.map((res) => res.order?.id));
    assert.equal(ids.size, 1, "every call answers with the same order");
    assert.equal(results.filter((res) => !res.replayed).length, 1, "exactly one call created it");
    const rows = await ordersOf(customerId);
    assert.equal(rows.length, 1);
    assert.equal((await outboxOf(rows[0]!.id)).length, 1, "one OrderPlaced");
  });

  it("refuses an unknown product with FailedPrecondition naming it, and stores nothing", async () => {
    const customerId = randomUUID();
    const unknown = randomUUID();
    await assert.rejects(
      place(customerId, [{ productId: book.id, quantity: 1 }, { productId: unknown, quantity: 1 }]),
      rejectsWith(Code.FailedPrecondition, new RegExp(`unknown product\\(s\\): ${unknown}`)),
    );
    assert.deepEqual(await ordersOf(customerId), []);
  });

  it("cancels a PENDING order (CUSTOMER_REQUESTED) with OrderCancelled; cancelling again changes nothing", async () => {
    const { order } = await place(randomUUID(), [{ productId: book.id, quantity: 1 }]);
    const { order: cancelled } = await client.cancelOrder({ id: order!.id });
    assert.equal(cancelled?.status, OrderStatus.CANCELLED);
    assert.equal(cancelled?.cancelReason, CancelReason.CUSTOMER_REQUESTED);
    assert.equal(cancelled?.cancelMessage, "cancelled by the customer");
    assert.deepEqual((await client.getOrder({ id: order!.id })).order, cancelled);

    const events = await outboxOf(order!.id, "meshmart.orders.v1.OrderCancelled");
    assert.equal(events.length, 1);
    const event = fromBinary(OrderCancelledSchema, events[0]!.payload);
    assert.equal(event.orderId, order!.id);
    assert.equal(event.customerId, order!.customerId);
    assert.equal(event.reason, CancelReason.CUSTOMER_REQUESTED);
    assert.equal(event.stockReserved, false);
    assert.equal(event.paymentCaptured, false);

    const { order: again } = await client.cancelOrder({ id: order!.id });
    assert.deepEqual(again, cancelled, "unchanged, update time included");
    assert.equal((await outboxOf(order!.id, "meshmart.orders.v1.OrderCancelled")).length, 1, "no second OrderCancelled");
  });

  it("keeps each saga step on the order's timeline, append-only, and its fold gives the stored state", async () => {
    const { order } = await place(randomUUID(), [{ productId: socks.id, quantity: 2 }]);
    await client.cancelOrder({ id: order!.id });
    await client.cancelOrder({ id: order!.id });
    const { orderId, entries } = await client.getOrderTimeline({ id: order!.id });
    assert.equal(orderId, order!.id);
    assert.deepEqual(
      entries.map((e) => [e.sequence, e.event, e.cause, e.emitted, OrderStatus[e.status], SagaStep[e.step]]),
      [
        [1, "PlaceOrder", "PlaceOrder RPC", ["OrderPlaced"], "PENDING", "AWAITING_STOCK"],
        [2, "CancelOrder", "CancelOrder RPC", ["OrderCancelled"], "CANCELLED", "COMPENSATING"],
        [3, "CancelOrder", "CancelOrder RPC", [], "CANCELLED", "COMPENSATING"],
      ],
    );
    assert.ok(timestampMs(entries[0]!.time!) <= timestampMs(entries[1]!.time!));

    const row = (await store.getOrder(orders.runtime.db, order!.id))!;
    const stored = store.toSagaState(row);
    assert.deepEqual(foldTimeline(stored, await readTimeline(orders.runtime.db, order!.id)), stored);

    await assert.rejects(orders.runtime.db.query("UPDATE order_timeline SET cause = 'x' WHERE order_id = $1", [order!.id]), /append-only/);
    await assert.rejects(orders.runtime.db.query("DELETE FROM order_timeline WHERE order_id = $1", [order!.id]), /append-only/);
    await assert.rejects(client.getOrderTimeline({ id: randomUUID() }), rejectsWith(Code.NotFound));
  });

  it("refuses to cancel a CONFIRMED order, and answers unknown ids with NotFound", async () => {
    const { order } = await place(randomUUID(), [{ productId: mug.id, quantity: 1 }]);
    // Without inventory and payments the saga cannot confirm; set the state it would reach.
    await orders.runtime.db.query("UPDATE orders SET status = 'CONFIRMED', saga_step = 'COMPLETING' WHERE id = $1", [order!.id]);
    await assert.rejects(client.cancelOrder({ id: order!.id }), rejectsWith(Code.FailedPrecondition, /already confirmed/));
    assert.equal((await outboxOf(order!.id, "meshmart.orders.v1.OrderCancelled")).length, 0);

    const missing = randomUUID();
    await assert.rejects(client.getOrder({ id: missing }), rejectsWith(Code.NotFound));
    await assert.rejects(client.cancelOrder({ id: missing }), rejectsWith(Code.NotFound));
  });

  it("lists orders newest first, by customer and status, with paging", async () => {
    const customerId = randomUUID();
    const placed: Order[] = [];
    for (let i = 0; i < 5; i++) placed.push((await place(customerId, [{ productId: socks.id, quantity: i + 1 }])).order!);
    await place(randomUUID(), [{ productId: socks.id, quantity: 1 }]); // someone else's
    await client.cancelOrder({ id: placed[1]!.id });
    const newestFirst = placed.map((order) => order.id).reverse();

    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await client.listOrders({ customerId, pageSize: 2, pageToken });
      assert.ok(page.orders.length <= 2);
      seen.push(...page.orders.map((order) => order.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, newestFirst);

    const pending = await client.listOrders({ customerId, status: OrderStatus.PENDING });
    assert.deepEqual(pending.orders.map((order) => order.id), newestFirst.filter((id) => id !== placed[1]!.id));
    assert.equal(pending.nextPageToken, "");
    const cancelled = await client.listOrders({ customerId, status: OrderStatus.CANCELLED });
    assert.deepEqual(cancelled.orders.map((order) => order.id), [placed[1]!.id]);

    // A token is the last order's creation time and id: under another filter it continues from there.
    const first = await client.listOrders({ customerId, pageSize: 1 });
    assert.match(first.nextPageToken, /^\d{16}_[0-9a-f-]{36}$/);
    const older = await client.listOrders({ customerId, status: OrderStatus.PENDING, pageToken: first.nextPageToken });
    assert.deepEqual(older.orders.map((order) => order.id), newestFirst.slice(1).filter((id) => id !== placed[1]!.id));
    for (const pageToken of ["garbage", `99999999999999999_${customerId}`, `1_${customerId}|x`]) {
      await assert.rejects(client.listOrders({ customerId, pageToken }), rejectsWith(Code.InvalidArgument), pageToken);
    }
  });

  it("pages through orders created within the same millisecond without skipping any", async () => {
    const customerId = randomUUID();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await place(customerId, [{ productId: socks.id, quantity: 1 }])).order!.id);
    // PostgreSQL keeps microseconds: three orders 100 µs apart, all in one millisecond.
    for (const [i, id] of ids.entries()) {
      await query("UPDATE orders SET created_at = $1::timestamptz + $2 * interval '100 microseconds' WHERE id = $3", ["2026-06-01T12:00:00.123Z", i, id]);
    }
    const seen: string[] = [];
    let pageToken = "";
    for (let pages = 0; pages < 5; pages++) {
      const page = await client.listOrders({ customerId, pageSize: 1, pageToken });
      seen.push(...page.orders.map((order) => order.id));
      pageToken = page.nextPageToken;
      if (!pageToken) break;
    }
    assert.deepEqual(seen, [...ids].reverse());
  });

  it("writes a confirmation only before the deadline, on the clock of the write (not of the read that decided it)", async () => {
    const { order } = await place(randomUUID(), [{ productId: book.id, quantity: 1 }]);
    const rolledBack = new Error("rolled back");
    await assert.rejects(
      orders.runtime.db.transaction(async (tx) => {
        const row = (await store.getOrder(tx, order!.id, true))!;
        // The deadline passes after the saga read the row (a saturated database): no confirmation is written.
        await tx.query("UPDATE orders SET deadline = clock_timestamp() - interval '1 millisecond' WHERE id = $1", [order!.id]);
        assert.equal(await store.updateOrder(tx, row, { status: "CONFIRMED" }), undefined);
        assert.equal((await store.getOrder(tx, order!.id))?.status, "PENDING");
        // Before the deadline it is, with its decide time on the same reading of the clock.
        await tx.query("UPDATE orders SET deadline = clock_timestamp() + interval '1 minute' WHERE id = $1", [order!.id]);
        const confirmed = await store.updateOrder(tx, row, { status: "CONFIRMED" });
        assert.equal(confirmed?.status, "CONFIRMED");
        assert.ok(confirmed.decided_at && confirmed.decided_at.getTime() <= confirmed.deadline.getTime());
        throw rolledBack; // the sweeper never sees this order's deadline in the past
      }),
      rolledBack,
    );
  });

  it("cancels a saga past its deadline (DEADLINE_EXCEEDED) with one OrderCancelled, even with two replicas sweeping", async () => {
    // A second replica on the same database that gives new orders a 300 ms deadline; both replicas sweep every 100 ms.
    // Its own consumer group, so that the main replica's idle consumer is not rebalanced.
    replica = await startService(ordersService, {
      env: { ...ordersEnv, SAGA_TIMEOUT_MS: "300", KAFKA_CONSUMER_GROUP: `${ordersEnv.KAFKA_TOPIC_PREFIX}orders-replica` },
    });
    const replicaClient = createClient(OrderService, createConnectTransport({ baseUrl: replica.url, httpVersion: "1.1" }));
    const { order } = await replicaClient.placeOrder({
      customerId: randomUUID(),
      items: [{ productId: book.id, quantity: 1 }],
      idempotencyKey: randomUUID(),
    });
    assert.equal(order?.status, OrderStatus.PENDING);
    const deadline = timestampMs(order.deadline!);
    assert.ok(deadline - timestampMs(order.createTime!) <= 300);

    const cancelled = await eventually(
      async () => {
        const { order: current } = await client.getOrder({ id: order.id });
        return current?.status === OrderStatus.CANCELLED ? current : undefined;
      },
      { timeoutMs: 10_000, what: "the expired order to be cancelled" },
    );
    assert.equal(cancelled.cancelReason, CancelReason.DEADLINE_EXCEEDED);
    assert.match(cancelled.cancelMessage, /did not finish by/);
    assert.ok(timestampMs(cancelled.updateTime!) >= deadline, "not cancelled before its deadline");

    await new Promise((resolve) => setTimeout(resolve, 300)); // a few more sweeps by both replicas
    const events = await outboxOf(order.id, "meshmart.orders.v1.OrderCancelled");
    assert.equal(events.length, 1, "cancelled exactly once");
    const event = fromBinary(OrderCancelledSchema, events[0]!.payload);
    assert.equal(event.reason, CancelReason.DEADLINE_EXCEEDED);
    assert.equal(event.orderId, order.id);

    const [saga] = await query<{ saga_step: string }>("SELECT saga_step FROM orders WHERE id = $1", [order.id]);
    assert.equal(saga?.saga_step, "COMPENSATING", "waiting for inventory to release");
  });

  // Last: it stops the catalog.
  it("answers Unavailable with a clear message when catalog is down for a product it has not cached, and stores no order", async () => {
    // Book is in the cache once a pricing of it is a cache hit (the cache stores only once its feed is live).
    const hits = async () => (await orders.runtime.metrics.registry.getSingleMetricAsString("cache_hits_total")).match(/ (\d+)$/m)?.[1];
    await eventually(async () => {
      const before = Number(await hits());
      await place(randomUUID(), [{ productId: book.id, quantity: 1 }]);
      return Number(await hits()) > before ? true : undefined;
    }, { what: "book priced from orders' product cache" });
    await catalog.stop();
    const customerId = randomUUID();
    const started = Date.now();
    // Never priced here, so not in the product cache: only catalog could price it.
    await assert.rejects(
      place(customerId, [{ productId: book.id, quantity: 1 }, { productId: lamp.id, quantity: 1 }]),
      rejectsWith(Code.Unavailable, /^catalog is unavailable, no order was placed: /),
    );
    assert.ok(Date.now() - started < 5_000, "fails fast, within the catalog deadline");
    assert.deepEqual(await ordersOf(customerId), []);
    // The products the cache holds still price (for at most PRODUCT_CACHE_TTL_MS).
    const { order } = await place(customerId, [{ productId: book.id, quantity: 1 }]);
    assert.equal(order?.total?.unitsMinor, book.priceMinor);
  });
});
