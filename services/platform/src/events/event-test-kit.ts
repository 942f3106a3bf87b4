// A small world for testing the event backbone on the real Postgres and Kafka:
// a fresh database with the platform tables and an `effects` table, topics of
// its own (a unique prefix), an outbox, a relay and a consumer whose handler
// records each ProductPriceChanged it applies.
import { randomBytes } from "node:crypto";
import { ProductPriceChangedSchema, type ProductPriceChanged } from "@meshmart/proto/catalog/v1/events_pb";
import { Registry } from "prom-client";
import { Database } from "../database.ts";
import { FaultSwitch } from "../fault-switch.ts";
import { createLogger } from "../logger.ts";
import { activeTraceIds } from "../telemetry/trace-context.ts";
import { createTestDatabase } from "../test-support.ts";
import { EventConsumer, type EventContext } from "./event-consumer.ts";
import { createEventBus, type KafkaBus, type KafkaClient } from "./kafka-client.ts";
import { Outbox, topicOf } from "./outbox.ts";
import { OutboxRelay } from "./outbox-relay.ts";

export interface EventWorld {
  db: Database;
  databaseUrl: string;
  bus: KafkaBus;
  /** The Kafka client behind the bus. */
  client: KafkaClient;
  outbox: Outbox;
  relay: OutboxRelay;
  consumer: EventConsumer;
  topic: string;
  group: string;
  /** The topic prefix, for `join`. */
  prefix: string;
  /** Called by the handler before it records the effect; throw to fail it. */
  beforeEffect: (event: ProductPriceChanged, context: EventContext) => Promise<void> | void;
  /** Starts a new consumer (after the old one was stopped) in the same group. */
  restartConsumer(): Promise<void>;
  effects(): Promise<Array<{ event_id: string; product_id: string; price: string; trace_id: string }>>;
  close(): Promise<void>;
}

export async function createEventWorld(options: {
  brokers: string[];
  /** The Kafka client behind the bus (default kafkajs). */
  client?: KafkaClient;
  maxAttempts?: number;
  batch?: boolean;
  /** Joins a world another process created (its database and topic prefix) instead of making a new one. */
  join?: { databaseUrl: string; prefix: string };
}): Promise<EventWorld> {
  const databaseUrl = options.join?.databaseUrl ?? (await createTestDatabase("events"));
  const logger = createLogger("event-test", "silent");
  const db = new Database(databaseUrl, logger);
  if (!options.join) {
    await db.migrate();
    await db.query(
      "CREATE TABLE effects (seq bigserial, event_id text NOT NULL, product_id text NOT NULL, price bigint NOT NULL, trace_id text NOT NULL)",
    );
  }
  const prefix = options.join?.prefix ?? `t${randomBytes(4).toString("hex")}.`;
  const topic = prefix + topicOf(ProductPriceChangedSchema);
  const group = `${prefix}consumer`;
  const client = options.client ?? "kafkajs";
  const bus = createEventBus({ client, brokers: options.brokers, clientId: "event-test", logger });
  await bus.ensureTopics([topic, `${topic}.dlq`], 3);
  const outbox = new Outbox("/meshmart/event-test", prefix);
  const relay = new OutboxRelay({ db, databaseUrl, outbox, bus, logger, registry: new Registry(), pollIntervalMs: 200, maxBackoffMs: 1_000 });

  const makeConsumer = () =>
    new EventConsumer({
      name: group,
      bus,
      db,
      outbox,
      logger,
      registry: new Registry(),
      faults: new FaultSwitch(),
      topicPrefix: prefix,
      maxAttempts: options.maxAttempts ?? 3,
      initialBackoffMs: 50,
      maxBackoffMs: 500,
    }).on(
      ProductPriceChangedSchema,
      async (event, context) => {
        await world.beforeEffect(event, context);
        await context.tx.query("INSERT INTO effects (event_id, product_id, price, trace_id) VALUES ($1, $2, $3, $4)", [
          context.event.id,
          event.productId,
          event.newPrice?.unitsMinor.toString() ?? "0",
          activeTraceIds()?.traceId ?? "",
        ]);
      },
      // An insert of its own event's effect: it may share a transaction (options.batch false turns that off).
      { batchable: options.batch ?? true },
    );

  const world: EventWorld = {
    db,
    databaseUrl,
    bus,
    client,
    outbox,
    relay,
    consumer: makeConsumer(),
    topic,
    group,
    prefix,
    beforeEffect: () => {},
    async restartConsumer() {
      world.consumer = makeConsumer();
      await world.consumer.start();
    },
    async effects() {
      return (await db.query<{ event_id: string; product_id: string; price: string; trace_id: string }>(
        "SELECT event_id, product_id, price::text, trace_id FROM effects ORDER BY seq",
      )).rows;
    },
    async close() {
      await world.consumer.stop();
      await relay.stop();
      await bus.close();
      await db.close();
    },
  };
  return world;
}

/** Emits ProductPriceChanged(product, price) in its own transaction. */
export async function emitPrice(world: EventWorld, productId: string, price: bigint): Promise<string> {
  return world.db.transaction((tx) =>
    world.outbox.emit(
      tx,
      ProductPriceChangedSchema,
      {
        productId,
        oldPrice: { currencyCode: "EUR", unitsMinor: 0n },
        newPrice: { currencyCode: "EUR", unitsMinor: price },
      },
      { key: productId },
    ),
  );
}
