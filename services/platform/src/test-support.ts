// Helpers for tests that need the real dependencies. `make test` (scripts/test.ts)
// starts PostgreSQL and Kafka and passes them in MESHMART_TEST_PG_URL and
// KAFKA_BROKERS; each test file gets databases of its own.
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import pg from "pg";
import type { RunningService } from "./service-definition.ts";

function adminUrl(): string {
  const url = process.env.MESHMART_TEST_PG_URL;
  if (!url) {
    throw new Error(
      "MESHMART_TEST_PG_URL is not set: run tests with `make test`, or start `npm run infra -- up --profile test` and export it",
    );
  }
  return url;
}

/** Creates an empty database with a unique name and returns its URL. */
/**
 * A TCP port that was free a moment ago, chosen by the kernel (for a child
 * process that must be told its port): no guessed range that can meet a broker
 * or a stack another test left listening.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/**
 * The settings every in-process service of one test shares (startService):
 * its own port, silent logs, the suite's Kafka under a topic prefix of this
 * test alone, a fast relay and a short shutdown.
 */
export function inProcessServiceEnv(): Record<string, string> {
  return {
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    KAFKA_BROKERS: testKafkaBrokers().join(","),
    KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString("hex")}.`,
    OUTBOX_POLL_MS: "100",
    SHUTDOWN_TIMEOUT_MS: "2000",
  };
}

/** A counter or gauge of an in-process service, summed over the series that carry every one of `labels`. */
export async function metricTotal(service: RunningService, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await service.runtime.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

export async function createTestDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export function testKafkaBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error("KAFKA_BROKERS is not set: run tests with `make test`");
  return brokers.split(",").map((broker) => broker.trim());
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 30_000, intervalMs = 100, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? "" : `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`}`);
}

/** The exit code of a child process once it has exited (null when a signal ended it). */
export async function exitOf(child: ChildProcess): Promise<number | null> {
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}
