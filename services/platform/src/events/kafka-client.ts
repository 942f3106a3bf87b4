// Which Kafka client carries the EventBus (KAFKA_CLIENT): kafkajs, the
// default, speaks only protocol versions Kafka 4 removed (KIP-896) and serves
// brokers up to 3.9; @platformatic/kafka serves 3.5 to 4.x.
import type { Logger } from "../logger.ts";
import type { EventBus } from "./event-bus.ts";
import { KafkaEventBus } from "./kafka-event-bus.ts";

export const kafkaClients = ["kafkajs", "platformatic"] as const;
export type KafkaClient = (typeof kafkaClients)[number];

/** An EventBus with the operator's tools both adapters provide (consumer lag, replay). */
export interface KafkaBus extends EventBus {
  groupLag(groupId: string, topics: string[]): Promise<number>;
  rewind(groupId: string, topic: string): Promise<void>;
}

export interface CreateEventBusOptions {
  client: KafkaClient;
  brokers: string[];
  clientId: string;
  logger?: Logger;
}

export function createEventBus({ client, ...options }: CreateEventBusOptions): KafkaBus {
  switch (client) {
    case "kafkajs":
      return new KafkaEventBus(options);
    case "platformatic":
      return lazyPlatformaticBus(options);
    default:
      throw new Error(`KAFKA_CLIENT=${String(client)} is not a Kafka client meshmart knows: use one of ${kafkaClients.join(", ")}`);
  }
}

/**
 * The @platformatic/kafka bus, its module loaded on first use: importing it
 * costs a process about 57 MiB of RSS (measured: 41 -> 98 MiB), which every
 * service running kafkajs would otherwise pay for nothing. Every EventBus
 * method is asynchronous, so the wait for the module hides in the first call.
 */
function lazyPlatformaticBus(options: Omit<CreateEventBusOptions, "client">): KafkaBus {
  let loaded: Promise<KafkaBus> | undefined;
  const bus = () => (loaded ??= import("./platformatic-event-bus.ts").then(({ PlatformaticEventBus }) => new PlatformaticEventBus(options)));
  return {
    ensureTopics: async (topics, partitions) => (await bus()).ensureTopics(topics, partitions),
    publish: async (messages) => (await bus()).publish(messages),
    subscribe: async (subscription) => (await bus()).subscribe(subscription),
    groupLag: async (groupId, topics) => (await bus()).groupLag(groupId, topics),
    rewind: async (groupId, topic) => (await bus()).rewind(groupId, topic),
    // Closing a bus that was never used loads nothing.
    close: async () => (loaded ? (await loaded).close() : undefined),
  };
}

/** KAFKA_CLIENT from the environment (tests and scripts): kafkajs when unset, an error when unknown. */
export function kafkaClientFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaClient {
  const raw = env.KAFKA_CLIENT?.trim() || "kafkajs";
  if (!(kafkaClients as readonly string[]).includes(raw)) {
    throw new Error(`KAFKA_CLIENT=${raw} is not a Kafka client meshmart knows: use one of ${kafkaClients.join(", ")}`);
  }
  return raw as KafkaClient;
}
