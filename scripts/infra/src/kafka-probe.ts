// Readiness of a Kafka cluster as a client sees it. "Shallow": a broker
// answers metadata, is registered, and every partition has a leader (after a
// restart leadership returns a moment after the port opens). "Deep", for the
// brokers we run: also the group coordinator has loaded and an idempotent
// producer can write. Until then the first producer and consumer of every
// service would get "coordinator is loading" errors: retried, but logged by
// kafkajs as ERRORs that send people hunting for a problem that is not there.
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { sleep } from "./processes.ts";

/** Where the deep probe writes; local brokers only, never a cluster given by KAFKA_BROKERS. */
const probeTopic = "meshmart.infra.probe";

export async function probeKafka(brokers: string[], { deep = false } = {}): Promise<void> {
  const kafka = new Kafka({
    clientId: "meshmart-infra-probe",
    brokers,
    logLevel: logLevel.NOTHING, // refused connections are expected while it starts
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error("no broker registered yet");
    const topics = await admin.listTopics();
    if (topics.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const leaderless = metadata.topics.flatMap((t) =>
        t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}/${p.partitionId}`),
      );
      if (leaderless.length > 0) throw new Error(`partitions without a leader: ${leaderless.slice(0, 5).join(", ")}`);
    }
    if (!deep) return;

    if (!topics.includes(probeTopic)) {
      await admin.createTopics({ topics: [{ topic: probeTopic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    }
    await admin.describeGroups(["meshmart-infra-probe"]); // fails while the group coordinator loads
    const producer = kafka.producer({
      idempotent: true,
      retry: { retries: 1 }, // the minimum kafkajs accepts for an idempotent producer
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      await producer.send({ topic: probeTopic, acks: -1, messages: [{ value: "ready" }] });
    } finally {
      await producer.disconnect();
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface WaitOptions {
  timeoutMs: number;
  deep?: boolean;
  /** Stop waiting early when the broker process is gone. */
  alive?: () => boolean;
}

/** Resolves "ready", or "exited" when `alive` turns false; throws after the timeout with the last probe error. */
export async function waitForKafka(brokers: string[], { timeoutMs, deep, alive }: WaitOptions): Promise<"ready" | "exited"> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probeKafka(brokers, { deep });
      return "ready";
    } catch (err) {
      if (alive && !alive()) return "exited";
      if (Date.now() > deadline) {
        throw new Error(`Kafka at ${brokers.join(",")} not ready after ${timeoutMs / 1000}s (${(err as Error).message})`, { cause: err });
      }
    }
    await sleep(250);
  }
}
