// KAFKA_CLIENT picks the bus's adapter: kafkajs unless told otherwise, and an
// unknown value is an error that names the choices (no silent fallback).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../config.ts";
import { eventConfig } from "../service-config.ts";
import { createEventBus, kafkaClientFromEnv } from "./kafka-client.ts";
import { KafkaEventBus } from "./kafka-event-bus.ts";

const env = { KAFKA_BROKERS: "127.0.0.1:1" };

describe("KAFKA_CLIENT", () => {
  it("defaults to kafkajs in the service settings and the environment", () => {
    assert.equal(loadConfig(eventConfig, env).KAFKA_CLIENT, "kafkajs");
    assert.equal(kafkaClientFromEnv({}), "kafkajs");
  });

  it("selects @platformatic/kafka with `platformatic`", async () => {
    const client = loadConfig(eventConfig, { ...env, KAFKA_CLIENT: "platformatic" }).KAFKA_CLIENT;
    assert.equal(client, "platformatic");
    // The @platformatic/kafka bus is loaded on first use (kafka-client.ts); the backbone tests run through it.
    const bus = createEventBus({ client, brokers: ["127.0.0.1:1"], clientId: "t" });
    assert.ok(!(bus instanceof KafkaEventBus));
    await bus.close();
    const kafkajs = createEventBus({ client: "kafkajs", brokers: ["127.0.0.1:1"], clientId: "t" });
    assert.ok(kafkajs instanceof KafkaEventBus);
    await kafkajs.close();
  });

  it("refuses an unknown client with the choices", () => {
    assert.throws(() => loadConfig(eventConfig, { ...env, KAFKA_CLIENT: "rdkafka" }), /KAFKA_CLIENT must be one of kafkajs, platformatic \(got "rdkafka"\)/);
    assert.throws(() => kafkaClientFromEnv({ KAFKA_CLIENT: "rdkafka" }), /KAFKA_CLIENT=rdkafka is not a Kafka client meshmart knows: use one of kafkajs, platformatic/);
    assert.throws(() => createEventBus({ client: "rdkafka" as "kafkajs", brokers: [], clientId: "t" }), /KAFKA_CLIENT=rdkafka/);
  });
});
