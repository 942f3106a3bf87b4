// Test support: a history service in-process on a fresh database, fed by a
// stand-in for orders, payments, shipping and catalog that publishes their
// events through a real outbox and relay onto real Kafka, on topics of a
// fresh prefix (the platform's createTestEventSource plays one service; the
// projection reads four, on one prefix).
import { randomBytes, randomUUID } from "node:crypto";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Registry } from "prom-client";
import { createLogger, Database, KafkaEventBus, Outbox, OutboxRelay, startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import { OrderHistoryService, type OrderSummary } from "@meshmart/proto/history/v1/history_pb";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
  PaymentRequestedSchema,
  ShipmentRequestedSchema,
} from "@meshmart/proto/orders/v1/events_pb";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { PaymentCapturedSchema, PaymentRefundedSchema } from "@meshmart/proto/payments/v1/events_pb";
import { ShipmentBookedSchema, ShipmentCancelledSchema } from "@meshmart/proto/shipping/v1/events_pb";
import { services } from "@meshmart/topology";
import { historyService } from "./index.ts";

export interface EventToEmit {
  schema: DescMessage;
  data: MessageInitShape<DescMessage>;
  key: string;
}

export interface ProjectionSources {
  readonly prefix: string;
  /**
   * Commits the events (in this order, one transaction) and publishes them
   * before resolving; the ids of those the projection handles (it ignores
   * PaymentRequested and ShipmentRequested, which leave no inbox record).
   */
  emit(events: EventToEmit[]): Promise<string[]>;
  close(): Promise<void>;
}

const ignored = new Set<string>([PaymentRequestedSchema.typeName, ShipmentRequestedSchema.typeName]);

export function event<Desc extends DescMessage>(schema: Desc, data: MessageInitShape<Desc>, key: string): EventToEmit {
  return { schema, data, key };
}

export async function createProjectionSources(): Promise<ProjectionSources> {
  const prefix = `t${randomBytes(4).toString("hex")}.`;
  const databaseUrl = await createTestDatabase("history_sources");
  const logger = createLogger("history-sources", "silent");
  const db = new Database(databaseUrl, logger, 2);
  await db.migrate();
  const bus = new KafkaEventBus({ brokers: testKafkaBrokers(), clientId: "history-sources", logger });
  await bus.ensureTopics(services.history.consumes.map((topic) => prefix + topic), 3);
  const outbox = new Outbox("/meshmart/test", prefix);
  const relay = new OutboxRelay({ db, databaseUrl, bus, logger, registry: new Registry() });
  return {
    prefix,
    async emit(events) {
      const ids = await db.transaction(async (tx) => {
        const ids: string[] = [];
        for (const { schema, data, key } of events) {
          const id = await outbox.emit(tx, schema, data, { key });
          if (!ignored.has(schema.typeName)) ids.push(id);
        }
        return ids;
      });
      await relay.drain();
      return ids;
    },
    async close() {
      await bus.close();
      await db.close();
    },
  };
}

export interface TestHistory {
  readonly service: RunningService;
  readonly client: Client<typeof OrderHistoryService>;
  /** Resolves once the service has handled (or skipped) every one of these events. */
  handled(eventIds: string[]): Promise<void>;
  /** Every summary the projection lists for the filter, following page tokens. */
  listAll(filter?: { customerId?: string }, pageSize?: number): Promise<OrderSummary[]>;
  stop(): Promise<void>;
}

/** A history service on `databaseUrl` (fresh when absent), reading the sources' topics in the group `<prefix>history`. */
export async function startTestHistory(sources: Pick<ProjectionSources, "prefix">, options: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<TestHistory> {
  const service = await startService(historyService, {
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: options.databaseUrl ?? (await createTestDatabase("history")),
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      KAFKA_TOPIC_PREFIX: sources.prefix,
      KAFKA_CONSUMER_GROUP: `${sources.prefix}history`,
      PROJECTION_WATCH_MS: "200",
      // HISTORY_TEST_LOG=warn (say) shows the service's log lines while a test runs.
      ...(process.env.HISTORY_TEST_LOG ? { LOG_LEVEL: process.env.HISTORY_TEST_LOG } : {}),
      SHUTDOWN_TIMEOUT_MS: "5000",
      ...options.env,
    },
  });
  const client = createClient(OrderHistoryService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
  return {
    service,
    client,
    handled: async (eventIds) => {
      await eventually(
        async () => {
          const { rowCount } = await service.runtime.db.query("SELECT 1 FROM inbox WHERE event_id = ANY($1)", [eventIds]);
          return rowCount === eventIds.length ? true : undefined;
        },
        { what: `${eventIds.length} events handled`, timeoutMs: 60_000 },
      );
    },
    async listAll(filter = {}, pageSize = 0) {
      const all: OrderSummary[] = [];
      let pageToken = "";
      do {
        const page = await client.listOrderHistory({ ...filter, pageSize, pageToken });
        all.push(...page.orders);
        pageToken = page.nextPageToken;
      } while (pageToken);
      return all;
    },
    stop: () => service.stop(),
  };
}

export const eur = (unitsMinor: bigint) => ({ currencyCode: "EUR", unitsMinor });

/** The events of one order's life, as orders, payments and shipping would publish them. */
export function orderLife(options: { orderId?: string; customerId?: string; products: Array<{ id: string; quantity: number; price: bigint }>; outcome: "confirmed" | "cancelled-after-booking" }) {
  const orderId = options.orderId ?? randomUUID();
  const customerId = options.customerId ?? randomUUID();
  const items = options.products.map((p) => ({ productId: p.id, quantity: p.quantity, unitPrice: eur(p.price) }));
  const total = eur(options.products.reduce((sum, p) => sum + p.price * BigInt(p.quantity), 0n));
  const paymentId = randomUUID();
  const shipmentId = randomUUID();
  const events: EventToEmit[] = [
    event(OrderPlacedSchema, { orderId, customerId, items, total, deadline: timestampFromDate(new Date(Date.now() + 60_000)) }, orderId),
    event(PaymentRequestedSchema, { orderId, customerId, amount: total }, orderId),
    event(PaymentCapturedSchema, { paymentId, orderId, amount: total }, orderId),
    event(ShipmentRequestedSchema, { orderId, customerId, items }, orderId),
    event(ShipmentBookedSchema, { shipmentId, orderId, carrier: "Parcelo", trackingNumber: `PX-${orderId.slice(0, 8)}` }, orderId),
  ];
  if (options.outcome === "confirmed") {
    events.push(event(OrderConfirmedSchema, { orderId, customerId, total }, orderId));
  } else {
    events.push(
      event(OrderCancelledSchema, { orderId, customerId, reason: CancelReason.CUSTOMER_REQUESTED, message: "changed my mind", paymentCaptured: true, shipmentBooked: true }, orderId),
      event(PaymentRefundedSchema, { paymentId, orderId, amount: total }, orderId),
      event(ShipmentCancelledSchema, { shipmentId, orderId }, orderId),
    );
  }
  return { orderId, customerId, total, events };
}

export function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
