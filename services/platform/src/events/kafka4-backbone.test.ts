// The event backbone on a Kafka 4 broker of its own, through
// @platformatic/kafka. kafkajs is not run here: it speaks only the protocol
// versions Kafka 4 removed (KIP-896), so it cannot even fetch metadata.
import { after, before, describe } from "node:test";
import { kafka4Version, startKafka, type KafkaHandle } from "@meshmart/infra/kafka";
import { describeBackbone } from "./event-backbone-cases.ts";

describe(`on Kafka ${kafka4Version}`, () => {
  let kafka: KafkaHandle;

  before(async () => {
    // Its own profile and port: the suite's broker (KAFKA_BROKERS) runs 3.9.
    kafka = await startKafka({ profile: "test-kafka4", port: Number(process.env.MESHMART_KAFKA4_PORT ?? 19292), own: true, version: kafka4Version });
  });
  after(async () => {
    await kafka?.stop();
  });

  describeBackbone("platformatic", () => kafka.brokers);
});
