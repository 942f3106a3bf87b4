// The event backbone's benchmark (also `make bench-events`): throughput and
// latency of outbox -> relay -> Kafka -> consumer with inbox, beside the raw
// kafkajs producer and raw PostgreSQL single-row commits measured in the same
// run on the same broker and server, so the numbers compare as ratios on a
// noisy machine. (kafkajs is imported here only to measure it raw; product
// code goes through the EventBus.)
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { LatencyHistogram, type LatencySummary } from "@meshmart/e2e/load/latency-histogram";
import { createEventWorld, emitPrice } from "@meshmart/platform/events/event-test-kit";
import type { KafkaClient } from "@meshmart/platform/events/kafka-client";

export interface EventsOptions {
  adminUrl: string;
  brokers: string[];
  events: number;
  concurrency: number;
  /** Offered rate of the latency run, events/s; 0: half the measured end-to-end rate. */
  rate: number;
  seconds: number;
  log: (line: string) => void;
}

export interface EventsResults {
  events: number;
  concurrency: number;
  rawKafkaProducerPerSecond: number;
  rawPostgresCommitsPerSecond: number;
  outboxWritesPerSecond: number;
  endToEndPerSecond: number;
  /** Commit to consumed (handler running), at `latencyRate` offered. */
  latencyRate: number;
  latency: LatencySummary;
  ratioToRawKafka: number;
  ratioToRawPostgres: number;
}

async function pool(count: number, workers: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Single-row transactions from `concurrency` writers, per second: the server's commit rate. */
export async function rawPostgresCommitRate(adminUrl: string, count: number, concurrency: number): Promise<number> {
  const rawDb = new pg.Pool({ connectionString: adminUrl, max: concurrency });
  const table = `bench_raw_${randomUUID().slice(0, 8)}`;
  const value = Buffer.alloc(120, 1);
  try {
    await rawDb.query(`CREATE TABLE ${table} (id uuid PRIMARY KEY, payload bytea)`);
    const start = performance.now();
    await pool(count, concurrency, async () => {
      const c = await rawDb.connect();
      try {
        await c.query("BEGIN");
        await c.query(`INSERT INTO ${table} VALUES ($1, $2)`, [randomUUID(), value]);
        await c.query("COMMIT");
      } finally {
        c.release();
      }
    });
    return count / ((performance.now() - start) / 1000);
  } finally {
    await rawDb.query(`DROP TABLE IF EXISTS ${table}`);
    await rawDb.end();
  }
}

export async function runEventsBench(options: EventsOptions): Promise<EventsResults> {
  const { events: total, concurrency, log } = options;
  // 1. Raw kafkajs producer: the same payload size, idempotent, acks=all, batches of 200.
  const client = new Kafka({ clientId: "bench", brokers: options.brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  const rawTopic = `bench.raw.${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 3 }], waitForLeaders: true });
  const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = Buffer.alloc(120, 1);
  const start = performance.now();
  for (let i = 0; i < total; i += 200) {
    await producer.send({ topic: rawTopic, acks: -1, messages: Array.from({ length: Math.min(200, total - i) }, (_, j) => ({ key: String(i + j), value })) });
  }
  const rawKafka = total / ((performance.now() - start) / 1000);
  await producer.disconnect();
  await admin.deleteTopics({ topics: [rawTopic] }).catch(() => {});
  await admin.disconnect();
  log(`  raw kafkajs producer (batches of 200, acks=all):           ${rawKafka.toFixed(0)} msg/s`);

  // 2. Raw PostgreSQL: one INSERT per transaction, as many concurrent writers.
  const rawPg = await rawPostgresCommitRate(options.adminUrl, total, concurrency);
  log(`  raw PostgreSQL (1 row per transaction, ${concurrency} writers):      ${rawPg.toFixed(0)} commits/s`);

  // 3 and 4. The pipeline at full speed, then its latency at a fixed offered rate.
  const pipeline = await measurePipeline({ ...options, client: "kafkajs" });
  const { endToEnd, emitRate, latencyRate, latency: summary } = pipeline;
  return {
    events: total,
    concurrency,
    rawKafkaProducerPerSecond: Math.round(rawKafka),
    rawPostgresCommitsPerSecond: Math.round(rawPg),
    outboxWritesPerSecond: Math.round(emitRate),
    endToEndPerSecond: Math.round(endToEnd),
    latencyRate,
    latency: summary,
    ratioToRawKafka: Math.round((endToEnd / rawKafka) * 1000) / 1000,
    ratioToRawPostgres: Math.round((endToEnd / rawPg) * 1000) / 1000,
  };
}

export interface PipelineResults {
  /** Events/s applied by the consumer, from the first emit to the last effect. */
  endToEnd: number;
  /** Events/s written to the outbox (event + row). */
  emitRate: number;
  latencyRate: number;
  latency: LatencySummary;
}

/** The pipeline through `client`: N events emitted, time until the consumer applied all N; then latency at a fixed offered rate. */
export async function measurePipeline(options: EventsOptions & { client: KafkaClient }): Promise<PipelineResults> {
  const { events: total, concurrency, log } = options;
  process.env.MESHMART_TEST_PG_URL ??= options.adminUrl;
  const world = await createEventWorld({ brokers: options.brokers, client: options.client });
  try {
    world.relay.start();
    await world.consumer.start();
    await emitPrice(world, randomUUID(), 0n); // warm-up: group joined, connections open
    const applied = async () => Number((await world.db.query<{ n: string }>("SELECT count(*) AS n FROM effects")).rows[0]!.n);
    while ((await applied()) < 1) await new Promise((r) => setTimeout(r, 100));
    let start = performance.now();
    await pool(total, concurrency, (i) => emitPrice(world, randomUUID(), BigInt(i)));
    const emitSeconds = (performance.now() - start) / 1000;
    while ((await applied()) < total + 1) await new Promise((r) => setTimeout(r, 20));
    const endToEnd = total / ((performance.now() - start) / 1000);
    const label = options.client === "kafkajs" ? "" : ` [${options.client}]`;
    log(`  outbox writes (event + row, ${concurrency} writers):                 ${(total / emitSeconds).toFixed(0)} events/s${label}`);
    log(`  end to end: outbox -> relay -> Kafka -> consumer+inbox:      ${endToEnd.toFixed(0)} events/s${label}`);

    // Throughput only (seconds 0): no latency run.
    if (options.seconds <= 0) return { endToEnd, emitRate: total / emitSeconds, latencyRate: 0, latency: new LatencyHistogram().summary() };

    // 4. Latency at a fixed offered rate (default: half the end-to-end maximum): commit to handled.
    const latencyRate = options.rate > 0 ? options.rate : Math.max(10, Math.round(endToEnd / 2));
    const emittedAt = new Map<string, number>();
    const consumedAt = new Map<string, number>();
    world.beforeEffect = (_event, context) => {
      consumedAt.set(context.event.id, performance.now());
    };
    const count = Math.round(latencyRate * options.seconds);
    start = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = start + (i * 1000) / latencyRate - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      // Timed from the commit: emitPrice resolves once the transaction committed.
      pending.push(emitPrice(world, randomUUID(), BigInt(i)).then((id) => emittedAt.set(id, performance.now())));
    }
    await Promise.all(pending);
    const deadline = Date.now() + 30_000;
    while ([...emittedAt.keys()].some((id) => !consumedAt.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const latency = new LatencyHistogram();
    for (const [id, at] of emittedAt) {
      const consumed = consumedAt.get(id);
      if (consumed !== undefined) latency.record(Math.max(0, consumed - at));
    }
    const summary = latency.summary();
    log(`  commit -> consumed at ${latencyRate} events/s offered for ${options.seconds} s: p50 ${summary.p50} ms, p99 ${summary.p99} ms, max ${summary.max} ms${label}`);
    return { endToEnd, emitRate: total / emitSeconds, latencyRate, latency: summary };
  } finally {
    await world.close();
  }
}
