// A kafkajs round trip against KAFKA_BROKERS (the test runner sets it), or
// against the local broker of profile test, started (or reused) here and
// stopped when this process exits. The restart test always runs on a broker we
// manage (a private one when KAFKA_BROKERS is shared): it proves that
// stop/kill/start keep the data, which the fault tests rely on.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { Kafka, logLevel, Partitioners, type IHeaders, type KafkaMessage } from "kafkajs";
import { startKafka, type KafkaHandle } from "./kafka.ts";
import { portFromEnv } from "./ports.ts";

let broker: KafkaHandle;
let kafka: Kafka;
const topics: string[] = [];

before(async () => {
  broker = await startKafka({ profile: "test" }); // first run resolves Kafka from Maven Central
  kafka = new Kafka({ clientId: "infra-test", brokers: broker.brokers, logLevel: logLevel.WARN });
}, { timeout: 15 * 60_000 });

after(async () => {
  if (topics.length === 0 || !(await reachable())) return;
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics });
  await admin.disconnect();
});

test("produces and consumes messages with headers, in order", async () => {
  const topic = await createTopic();
  const sent = [1, 2, 3, 4, 5].map((n) => ({
    key: "order-42",
    value: JSON.stringify({ n }),
    headers: { ce_id: `evt-${n}`, ce_type: "meshmart.test.v1.Ping", traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01` },
  }));
  await produce(topic, sent);

  const received = await consume(topic, sent.length);
  assert.deepEqual(
    received.map((m) => ({ key: m.key?.toString(), value: m.value?.toString(), headers: strings(m.headers) })),
    sent,
  );
  assert.deepEqual(received.map((m) => Number(m.offset)), [0, 1, 2, 3, 4]);
});

test("stop, kill and start keep the broker's data", { timeout: 5 * 60_000 }, async () => {
  // A broker we manage even when KAFKA_BROKERS is a shared one: restarting it is the point.
  // MESHMART_KAFKA_PORT moves every profile's broker, the shared one too: keep this one clear of it.
  const movedPort = portFromEnv("MESHMART_KAFKA_PORT");
  const own = broker.external ? await startKafka({ profile: "test-outage", own: true, port: movedPort && movedPort + 10 }) : broker;
  const shared = kafka;
  kafka = new Kafka({ clientId: "infra-test", brokers: own.brokers, logLevel: logLevel.WARN });
  try {
    const topic = await createTopic({ cleanUp: own === broker });
    await produce(topic, [{ key: "k", value: "before-stop", headers: {} }]);

    await own.stop();
    assert.equal(await reachable(own.brokers), false, "broker still answers after stop()");
    await own.start();
    await produce(topic, [{ key: "k", value: "after-restart", headers: {} }]);

    await own.kill();
    assert.equal(await reachable(own.brokers), false, "broker still answers after kill()");
    await own.start();

    const values = (await consume(topic, 2)).map((m) => m.value?.toString());
    assert.deepEqual(values, ["before-stop", "after-restart"]);
  } finally {
    kafka = shared;
    if (own !== broker) await own.stop();
  }
});

async function createTopic({ cleanUp = true } = {}): Promise<string> {
  const topic = `infra-test-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  if (cleanUp) topics.push(topic);
  return topic;
}

async function produce(topic: string, messages: { key: string; value: string; headers: IHeaders }[]): Promise<void> {
  // The settings of the outbox relay: idempotent, acks from all in-sync replicas.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

async function consume(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `infra-test-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: KafkaMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`received ${received.length} of ${count} messages in 30s`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push(message);
            if (received.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return received;
  } finally {
    await consumer.disconnect();
  }
}

function strings(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}

async function reachable(brokers = broker.brokers): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
