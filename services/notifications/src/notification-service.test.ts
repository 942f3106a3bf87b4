// notifications end to end: order outcomes published through a real outbox
// and relay onto real Kafka, consumed by a real notifications service on a
// real PostgreSQL, read back through ListNotifications.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import { NotificationKind, NotificationService, type Notification } from "@meshmart/proto/notifications/v1/notifications_pb";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { notificationsService } from "./index.ts";
import { createTestEventSource, type TestEventSource } from "@meshmart/platform/events/test-event-source";

describe("NotificationService", () => {
  let source: TestEventSource;
  let service: RunningService;
  let client: Client<typeof NotificationService>;

  before(async () => {
    source = await createTestEventSource("orders");
    service = await startService(notificationsService, {
      env: {
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        DATABASE_URL: await createTestDatabase("notifications"),
        KAFKA_BROKERS: testKafkaBrokers().join(","),
        KAFKA_TOPIC_PREFIX: source.prefix,
        KAFKA_CONSUMER_GROUP: `${source.prefix}notifications`,
      },
    });
    client = createClient(NotificationService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
  });
  after(async () => {
    await service.stop();
    await source.close();
  });

  /** Resolves once the service has handled (or skipped) every one of these events. */
  const handled = (eventIds: string[]) =>
    eventually(
      async () => {
        const { rowCount } = await service.runtime.db.query("SELECT 1 FROM inbox WHERE event_id = ANY($1)", [eventIds]);
        return rowCount === eventIds.length ? true : undefined;
      },
      { what: `${eventIds.length} events handled` },
    );

  const confirmed = (orderId: string, customerId: string) =>
    source.emit(OrderConfirmedSchema, { orderId, customerId, total: { currencyCode: "EUR", unitsMinor: 1250n } }, orderId);
  const cancelled = (orderId: string, customerId: string) =>
    source.emit(OrderCancelledSchema, { orderId, customerId, reason: CancelReason.OUT_OF_STOCK, message: "sold out" }, orderId);

  /** Every notification matching the filter, following page tokens. */
  async function listAll(filter: { customerId?: string; orderId?: string }, pageSize = 0): Promise<Notification[]> {
    const all: Notification[] = [];
    let pageToken = "";
    do {
      const page = await client.listNotifications({ ...filter, pageSize, pageToken });
      all.push(...page.notifications);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return all;
  }

  it("records one notification per outcome however often, and under whatever event ids, it arrives", async () => {
    const customer = randomUUID();
    const [a, b] = [randomUUID(), randomUUID()];
    const events = [
      await confirmed(a, customer),
      await confirmed(a, customer),
      await confirmed(a, customer),
      await cancelled(b, customer),
      await cancelled(b, customer),
    ];
    await handled(events);

    const forA = await listAll({ orderId: a });
    assert.equal(forA.length, 1);
    assert.equal(forA[0]!.kind, NotificationKind.ORDER_CONFIRMED);
    assert.equal(forA[0]!.customerId, customer);
    assert.match(forA[0]!.body, /EUR 12\.50/);
    const forB = await listAll({ orderId: b });
    assert.deepEqual(forB.map((n) => n.kind), [NotificationKind.ORDER_CANCELLED]);
    assert.match(forB[0]!.body, /out of stock \(sold out\)/);
  });

  it("lists by customer and by order, in creation order and paged; without a filter, everything", async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const aliceOrders = [randomUUID(), randomUUID(), randomUUID()];
    const bobOrder = randomUUID();
    const events: string[] = [];
    for (const order of aliceOrders) events.push(await confirmed(order, alice));
    events.push(await cancelled(bobOrder, bob));
    await handled(events);

    const byAlice = await listAll({ customerId: alice }, 2);
    // Different orders travel on different partitions, so they may be handled in any order.
    assert.deepEqual(byAlice.map((n) => n.orderId).sort(), [...aliceOrders].sort());
    const times = byAlice.map((n) => timestampMs(n.createTime!));
    assert.deepEqual(times, [...times].sort((x, y) => x - y), "in creation order");
    assert.deepEqual((await listAll({ customerId: bob })).map((n) => n.orderId), [bobOrder]);
    assert.deepEqual((await listAll({ customerId: bob, orderId: aliceOrders[0] })), []);

    const everything = await listAll({}, 3);
    const total = Number((await service.runtime.db.query<{ n: string }>("SELECT count(*) AS n FROM notifications")).rows[0]!.n);
    assert.equal(everything.length, total);
    assert.equal(new Set(everything.map((n) => n.id)).size, total, "no notification listed twice across pages");
    for (const id of [...aliceOrders, bobOrder]) assert.ok(everything.some((n) => n.orderId === id));
  });

  it("rejects invalid filters and page tokens of another form with InvalidArgument", async () => {
    const invalid = async (call: () => Promise<unknown>) =>
      assert.rejects(call(), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.InvalidArgument);
        return true;
      });
    await invalid(() => client.listNotifications({ customerId: "bob" }));
    await invalid(() => client.listNotifications({ orderId: "not-a-uuid" }));
    await invalid(() => client.listNotifications({ pageSize: 1001 }));
    await invalid(() => client.listNotifications({ pageToken: "garbage" }));
    await invalid(() => client.listNotifications({ pageToken: "1; DROP TABLE notifications" }));
    await invalid(() => client.listNotifications({ pageToken: "9".repeat(19) }));
  });
});
