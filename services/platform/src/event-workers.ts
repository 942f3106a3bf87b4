// A service's event workers: the outbox relay (publishes what its
// transactions wrote) and the consumer (runs its handlers with an inbox,
// retries and a dead-letter topic). They start in the background: a broker
// that is down at start-up delays events (topics are created once it
// answers) but does not stop the service from serving.
import { services } from "@meshmart/topology";
import type { ConfigSpec } from "./config.ts";
import { EventConsumer, OutboxRelay, createEventBus, deadLetterTopic, type EventBus } from "./events/index.ts";
import { retrying } from "./retry.ts";
import type { EventConfig } from "./service-config.ts";
import type { Runtime, ServiceDefinition, Worker } from "./service-definition.ts";

export function startEventWorkers<S extends ConfigSpec>(
  definition: ServiceDefinition<S>,
  runtime: Runtime<S>,
  config: EventConfig & { DATABASE_URL: string },
): Worker {
  const { logger } = runtime;
  const topology = services[definition.name];
  const prefix = config.KAFKA_TOPIC_PREFIX;
  const bus: EventBus = createEventBus({ client: config.KAFKA_CLIENT, brokers: config.KAFKA_BROKERS, clientId: definition.name, logger });
  const relay = new OutboxRelay({
    db: runtime.db,
    databaseUrl: config.DATABASE_URL,
    outbox: runtime.outbox,
    bus,
    logger: logger.child({ component: "outbox-relay" }),
    registry: runtime.metrics.registry,
    pollIntervalMs: config.OUTBOX_POLL_MS,
    faults: runtime.faults,
  });
  const consumer = new EventConsumer({
    name: config.KAFKA_CONSUMER_GROUP || prefix + definition.name,
    bus,
    db: runtime.db,
    outbox: runtime.outbox,
    logger: logger.child({ component: "event-consumer" }),
    registry: runtime.metrics.registry,
    faults: runtime.faults,
    topicPrefix: prefix,
    maxAttempts: config.EVENT_MAX_ATTEMPTS,
    concurrency: config.EVENT_CONCURRENCY,
    maxBatch: config.EVENT_BATCH_MAX,
  });
  definition.events?.(consumer, runtime);

  const stopping = new AbortController();
  const started = (async () => {
    if (topology.produces.length > 0) relay.start();
    const topics = [
      ...topology.produces.map((topic) => prefix + topic),
      ...topology.consumes.flatMap((topic) => [prefix + topic, deadLetterTopic(prefix + topic)]),
      ...topology.invalidatesFrom.map((topic) => prefix + topic),
    ];
    await retrying(() => bus.ensureTopics(topics, config.KAFKA_PARTITIONS), {
      signal: stopping.signal,
      onRetry: (err, delayMs) => logger.warn({ err: err.message, retryInMs: Math.round(delayMs) }, "kafka not reachable yet; will create topics when it is"),
    });
    if (!stopping.signal.aborted) await consumer.start();
  })().catch((err: Error) => {
    if (!stopping.signal.aborted) logger.error({ err }, "event consumer failed to start");
  });

  return {
    async stop() {
      stopping.abort();
      await started;
      await consumer.stop();
      await relay.stop();
      await bus.close();
    },
  };
}
