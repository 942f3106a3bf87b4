// Which Kafka client carries the EventBus (KAFKA_CLIENT): kafkajs, the
// default, speaks only protocol versions Kafka 4 removed (KIP-896) and serves
// brokers up to 3.9; @platformatic/kafka serves 3.5 to 4.x.
import type { Logger } from "../logger.ts";
import type { EventBus } from "./event-bus.ts";
import { KafkaEventBus } from "./kafka-event-bus.ts";
import { PlatformaticEventBus } from "./platformatic-event-bus.ts";

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
      return new PlatformaticEventBus(options);
    default:
      throw new Error(`KAFKA_CLIENT=${String(client)} is not a Kafka client meshmart knows: use one of ${kafkaClients.join(", ")}`);
  }
}

/** KAFKA_CLIENT from the environment (tests and scripts): kafkajs when unset, an error when unknown. */
export function kafkaClientFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaClient {
  const raw = env.KAFKA_CLIENT?.trim() || "kafkajs";
  if (!(kafkaClients as readonly string[]).includes(raw)) {
    throw new Error(`KAFKA_CLIENT=${raw} is not a Kafka client meshmart knows: use one of ${kafkaClients.join(", ")}`);
  }
  return raw as KafkaClient;
}
