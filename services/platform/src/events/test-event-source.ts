// For tests: plays another service that publishes events. Events go into a
// real Outbox on a scratch database and reach Kafka through a real
// OutboxRelay, on the topics of a fresh prefix, exactly as that service would
// publish them. Give the service under test KAFKA_TOPIC_PREFIX = prefix.
import { randomBytes } from "node:crypto";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { Registry } from "prom-client";
import { Database } from "../database.ts";
import { createLogger } from "../logger.ts";
import { createTestDatabase, testKafkaBrokers } from "../test-support.ts";
import { services, type ServiceName } from "@meshmart/topology";
import { KafkaEventBus } from "./kafka-event-bus.ts";
import { Outbox } from "./outbox.ts";
import { OutboxRelay } from "./outbox-relay.ts";

export interface TestEventSource {
  /** The topic prefix the service under test must be given (KAFKA_TOPIC_PREFIX). */
  readonly prefix: string;
  /** Commits the event and publishes it before resolving; returns its event id. */
  emit<Desc extends DescMessage>(schema: Desc, data: MessageInitShape<Desc>, key: string): Promise<string>;
  close(): Promise<void>;
}

/** Creates the topics `source` produces first, so the service under test finds them. */
export async function createTestEventSource(source: ServiceName): Promise<TestEventSource> {
  const prefix = `t${randomBytes(4).toString("hex")}.`;
  const databaseUrl = await createTestDatabase(`${source}_source`);
  const logger = createLogger(`${source}-source`, "silent");
  const db = new Database(databaseUrl, logger, 2);
  await db.migrate();
  const bus = new KafkaEventBus({ brokers: testKafkaBrokers(), clientId: `${source}-source`, logger });
  await bus.ensureTopics(services[source].produces.map((topic) => prefix + topic), 3);
  const outbox = new Outbox(`/meshmart/${source}`, prefix);
  const relay = new OutboxRelay({ db, databaseUrl, bus, logger, registry: new Registry() });
  return {
    prefix,
    async emit(schema, data, key) {
      const id = await db.transaction((tx) => outbox.emit(tx, schema, data, { key }));
      await relay.drain();
      return id;
    },
    async close() {
      await bus.close();
      await db.close();
    },
  };
}
