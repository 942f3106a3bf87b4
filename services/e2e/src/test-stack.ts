// Every meshmart service as a real process on the test PostgreSQL and a Kafka
// broker, isolated by fresh databases, topic prefix and consumer groups: what
// the end-to-end tests and fault tests run against.
import { randomBytes } from "node:crypto";
import { serviceNames, services, type ServiceName } from "@meshmart/topology";
import { createTestDatabase } from "@meshmart/platform/test-support";
import { startServiceProcesses, type ServiceProcesses } from "@meshmart/infra/stack/service-processes";
import { devJwt } from "@meshmart/infra/stack/dev-env";
import { verify, type Verdict } from "./verify.ts";
import type { AcceptedOrder } from "./invariants.ts";

export interface TestStack {
  processes: ServiceProcesses;
  env: Record<string, string>;
  topicPrefix: string;
  /** The fresh databases the services run on, by name. */
  databaseNames: string[];
  /** Waits for rest and checks the five invariants; `log` receives the report lines. */
  verify(accepted: AcceptedOrder[], log?: (line: string) => void): Promise<Verdict>;
  stop(): Promise<void>;
}

export async function startTestStack(options: {
  brokers: string[];
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  env?: Record<string, string>;
  /** Receives every line a service prints (JSON log lines). */
  onLine?: (name: ServiceName, line: string) => void;
  /** The gateway's port, the others after it in topology order; a random free-ish range when absent. */
  portBase?: number;
}): Promise<TestStack> {
  const topicPrefix = `t${randomBytes(4).toString("hex")}.`;
  const databases = new Map<ServiceName, string>();
  for (const name of serviceNames.filter((n) => services[n].database)) databases.set(name, await createTestDatabase(name));
  const base = options.portBase ?? 23_000 + Math.floor(Math.random() * 400) * 10; // below the ephemeral range
  const ports = Object.fromEntries(serviceNames.map((name, i) => [name, base + i])) as Record<ServiceName, number>;
  const serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = {};
  for (const name of serviceNames) {
    serviceEnv[name] = { KAFKA_CONSUMER_GROUP: `${topicPrefix}${name}`, ...options.serviceEnv?.[name] };
  }
  const env = {
    LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? "warn",
    KAFKA_TOPIC_PREFIX: topicPrefix,
    CATALOG_SEED: "true",
    INVENTORY_SEED: "true",
    OUTBOX_POLL_MS: "200",
    FAULT_ADMIN: "true",
    RATE_LIMIT_RPS: "10000",
    RATE_LIMIT_BURST: "10000",
    ...devJwt,
    ...options.env,
  };
  const processes = await startServiceProcesses({
    names: serviceNames,
    ports,
    databaseUrl: (name) => databases.get(name)!,
    brokers: options.brokers,
    env,
    serviceEnv,
    onLine: (name, line) => {
      if (process.env.STACK_LOG) console.log(`[${name}] ${line}`);
      options.onLine?.(name, line);
    },
  });
  const urlEnv = Object.fromEntries(serviceNames.map((name) => [`${name.toUpperCase()}_URL`, processes.urls[name]]));
  return {
    processes,
    env,
    topicPrefix,
    databaseNames: [...databases.values()].map((url) => new URL(url).pathname.slice(1)),
    verify: (accepted, log) =>
      verify({
        env: urlEnv,
        brokers: options.brokers,
        topicPrefix,
        groupPrefix: topicPrefix,
        accepted,
        restTimeoutMs: 90_000,
        log,
      }),
    stop: () => processes.stop(),
  };
}
