// `make bench-events`: throughput and latency of the event backbone
// (outbox -> relay -> Kafka -> consumer with inbox), beside the raw kafkajs
// producer and raw PostgreSQL inserts measured in the same run on the same
// broker and server, so the numbers compare as ratios on a noisy machine.
// (kafkajs is imported here only to measure it raw; product code goes through the EventBus.)
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { startKafka } from "@meshmart/infra/kafka";
import { startPostgres } from "@meshmart/infra/postgres";
import { createEventWorld, emitPrice } from "@meshmart/platform/events/event-test-kit";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "16" },
    rate: { type: "string", default: "300" },
    seconds: { type: "string", default: "10" },
  },
});
const total = Number(args.events);
const concurrency = Number(args.concurrency);
const offeredRate = Number(args.rate);
const seconds = Number(args.seconds);
const log = (line: string) => console.log(line);

async function pool<T>(count: number, workers: number, task: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

log("starting PostgreSQL and Kafka (profile bench)...");
const [postgres, kafka] = await Promise.all([
  startPostgres({ profile: "bench", log: () => {} }),
  startKafka({ profile: "bench", log: () => {} }),
]);
process.env.MESHMART_TEST_PG_URL = postgres.adminUrl;

try {
  // 1. Raw kafkajs producer: the same payload size, idempotent, acks=all, one message per send (as the relay would at worst) and batched.
  const client = new Kafka({ clientId: "bench", brokers: kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  const rawTopic = `bench.raw.${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = Buffer.alloc(120, 1);
  let start = performance.now();
  for (let i = 0; i < total; i += 200) {
    await producer.send({
      topic: rawTopic,
      acks: -1,
      messages: Array.from({ length: Math.min(200, total - i) }, (_, j) => ({ key: String(i + j), value })),
    });
  }
  const rawKafkaRate = total / ((performance.now() - start) / 1000);
  await producer.disconnect();
  log(`raw kafkajs producer (batches of 200, acks=all):         ${rawKafkaRate.toFixed(0)} msg/s`);

  // 2. Raw PostgreSQL: one INSERT per transaction, as many concurrent writers.
  const rawDb = new pg.Pool({ connectionString: postgres.adminUrl, max: concurrency });
  await rawDb.query("CREATE TABLE IF NOT EXISTS bench_raw (id uuid PRIMARY KEY, payload bytea)");
  start = performance.now();
  await pool(total, concurrency, async () => {
    const c = await rawDb.connect();
    try {
      await c.query("BEGIN");
      await c.query("INSERT INTO bench_raw VALUES ($1, $2)", [randomUUID(), value]);
      await c.query("COMMIT");
    } finally {
      c.release();
    }
  });
  const rawPgRate = total / ((performance.now() - start) / 1000);
  await rawDb.query("DROP TABLE bench_raw");
  await rawDb.end();
  log(`raw PostgreSQL insert (1 row per transaction, ${concurrency} writers): ${rawPgRate.toFixed(0)} rows/s`);

  // 3. The pipeline at full speed: N events emitted, time until the consumer applied all N.
  const world = await createEventWorld({ brokers: kafka.brokers });
  world.relay.start();
  await world.consumer.start();
  await emitPrice(world, randomUUID(), 0n); // warm-up: group joined, connections open
  const applied = async () => Number((await world.db.query<{ n: string }>("SELECT count(*) AS n FROM effects")).rows[0]!.n);
  while ((await applied()) < 1) await new Promise((r) => setTimeout(r, 100));
  start = performance.now();
  await pool(total, concurrency, (i) => emitPrice(world, randomUUID(), BigInt(i)));
  const emitSeconds = (performance.now() - start) / 1000;
  while ((await applied()) < total + 1) await new Promise((r) => setTimeout(r, 50));
  const pipelineRate = total / ((performance.now() - start) / 1000);
  log(`outbox writes (event + row, ${concurrency} writers):              ${(total / emitSeconds).toFixed(0)} events/s`);
  log(`end to end: outbox -> relay -> Kafka -> consumer+inbox:   ${pipelineRate.toFixed(0)} events/s`);

  // 4. Latency at a fixed offered rate: commit to applied, measured by the handler.
  const latencies: number[] = [];
  world.beforeEffect = (_event, context) => {
    latencies.push(Date.now() - Date.parse(context.event.time));
  };
  const count = offeredRate * seconds;
  start = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / offeredRate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(emitPrice(world, randomUUID(), BigInt(i)));
  }
  await Promise.all(pending);
  while (latencies.length < count) await new Promise((r) => setTimeout(r, 50));
  latencies.sort((a, b) => a - b);
  log(`latency at ${offeredRate} events/s offered for ${seconds}s: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms`);
  await world.close();

  log("");
  log(`ratios: pipeline / raw kafkajs producer = ${(pipelineRate / rawKafkaRate).toFixed(3)}; pipeline / raw PostgreSQL inserts = ${(pipelineRate / rawPgRate).toFixed(3)}`);
  log(`reproduce: make bench-events ARGS="--events ${total} --concurrency ${concurrency} --rate ${offeredRate} --seconds ${seconds}"`);
} finally {
  await Promise.allSettled([kafka.stop(), postgres.stop()]);
}
