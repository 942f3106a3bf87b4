// The consumer half of an event world another process made (kafka-resume-bench.ts):
// joins its database and topics, consumes in its group, prints "ready" and runs
// until it is killed. A separate process so that it can be killed with -9.
import { createEventWorld } from "@meshmart/platform/events/event-test-kit";
import { kafkaClients, type KafkaClient } from "@meshmart/platform/events/kafka-client";

const { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers, KAFKA_CLIENT: client, TOPIC_PREFIX: prefix } = process.env;
if (!databaseUrl || !brokers || !prefix || !kafkaClients.includes(client as KafkaClient)) {
  console.error("price-consumer: needs DATABASE_URL, KAFKA_BROKERS, TOPIC_PREFIX and KAFKA_CLIENT (kafkajs | platformatic)");
  process.exit(2);
}
const world = await createEventWorld({ brokers: brokers.split(","), client: client as KafkaClient, join: { databaseUrl, prefix } });
await world.consumer.start();
console.log("ready");
