// Time to resume per Kafka client: while events flow at a steady rate, the
// consumer (a child process) is killed with -9 and a replacement joins the same
// group at once, as a restarted pod would; the figure is the time from the kill
// to the first event the replacement handles. The dead member holds its
// partitions until its session times out (consumerSession, the same for both
// adapters), so that bounds it from below. For contrast, the same after a
// graceful stop (the member leaves the group). Each client gets a world of its
// own on the same broker and database server.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "@meshmart/infra/paths";
import { consumerSession } from "@meshmart/platform/events/event-bus";
import { createEventWorld, emitPrice, type EventWorld } from "@meshmart/platform/events/event-test-kit";
import { kafkaClients, type KafkaClient } from "@meshmart/platform/events/kafka-client";
import { eventually } from "@meshmart/platform/test-support";

export interface ResumeOptions {
  adminUrl: string;
  brokers: string[];
  /** Steady rate of events while the consumer is replaced, events/s. */
  rate: number;
  log: (line: string) => void;
}

export interface KafkaResumeResult {
  client: KafkaClient;
  sessionTimeoutMs: number;
  /** Kill -9 of the consumer to the first event its replacement handled. */
  afterKillMs: number;
  /** Graceful stop (leaves the group) to the first event the next consumer handled. */
  afterStopMs: number;
}

const giveUpMs = 120_000;

export async function runKafkaResumeBench(options: ResumeOptions): Promise<KafkaResumeResult[]> {
  process.env.MESHMART_TEST_PG_URL ??= options.adminUrl;
  const results: KafkaResumeResult[] = [];
  for (const client of kafkaClients) results.push(await measureResume(client, options));
  options.log("");
  options.log(`  client        after kill -9   after a graceful stop   (session timeout ${consumerSession.sessionTimeoutMs / 1000} s, ${options.rate} events/s flowing)`);
  for (const r of results) options.log(`  ${r.client.padEnd(12)}  ${`${(r.afterKillMs / 1000).toFixed(1)} s`.padStart(12)}   ${`${(r.afterStopMs / 1000).toFixed(1)} s`.padStart(20)}`);
  return results;
}

async function measureResume(client: KafkaClient, options: ResumeOptions): Promise<KafkaResumeResult> {
  const world = await createEventWorld({ brokers: options.brokers, client });
  let emitting = true;
  const emitter = (async () => {
    const interval = 1000 / options.rate;
    let next = performance.now();
    while (emitting) {
      await emitPrice(world, randomUUID(), 1n);
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", "bench", "price-consumer.ts")], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: world.databaseUrl, KAFKA_BROKERS: options.brokers.join(","), KAFKA_CLIENT: client, TOPIC_PREFIX: world.prefix },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    world.relay.start();
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<void>((resolve, reject) => {
      lines.on("line", (line) => line === "ready" && resolve());
      child.once("exit", (code) => reject(new Error(`price-consumer exited (${code}) before it was ready`)));
    });
    await ready;
    // The child consumes: its effects grow.
    const applied = async () => Number((await world.db.query<{ n: string }>("SELECT count(*) AS n FROM effects")).rows[0]!.n);
    await eventually(async () => ((await applied()) >= options.rate ? true : undefined), { timeoutMs: giveUpMs, what: "the child consumer to apply a second of events" });

    const killedAt = performance.now();
    child.kill("SIGKILL");
    await once(child, "exit");
    const afterKillMs = (await firstHandled(world, () => world.consumer.start())) - killedAt;
    options.log(`  ${client}: kill -9 -> replacement handled its first event after ${(afterKillMs / 1000).toFixed(1)} s`);

    await world.consumer.stop();
    const stoppedAt = performance.now();
    const afterStopMs = (await firstHandled(world, () => world.restartConsumer())) - stoppedAt;
    options.log(`  ${client}: graceful stop -> next consumer handled its first event after ${(afterStopMs / 1000).toFixed(1)} s`);
    return { client, sessionTimeoutMs: consumerSession.sessionTimeoutMs, afterKillMs: Math.round(afterKillMs), afterStopMs: Math.round(afterStopMs) };
  } finally {
    emitting = false;
    await emitter.catch(() => {});
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await world.close();
  }
}

/** Starts a consumer with `start` and resolves the moment its handler first runs. */
async function firstHandled(world: EventWorld, start: () => Promise<void>): Promise<number> {
  let handledAt: number | undefined;
  world.beforeEffect = () => {
    handledAt ??= performance.now();
  };
  await start();
  // The time is taken in the handler, so the polling interval does not blur it.
  const at = await eventually(() => handledAt, { timeoutMs: giveUpMs, intervalMs: 20, what: "the replacement consumer to handle an event" });
  world.beforeEffect = () => {};
  return at;
}
