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
  /** Each service's database URL (direct, not through any proxy). */
  databases: ReadonlyMap<ServiceName, string>;
  /** Starts one more instance of a service on `port` (same database, consumer group and settings). */
  startExtra(name: ServiceName, port: number): Promise<ServiceProcesses>;
  /** Waits for rest (at most restTimeoutMs, default 90 s) and checks the seven invariants; `log` receives the report lines. */
  verify(accepted: AcceptedOrder[], log?: (line: string) => void, restTimeoutMs?: number): Promise<Verdict>;
  stop(): Promise<void>;
}

export async function startTestStack(options: {
  brokers: string[];
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  env?: Record<string, string>;
  /** Receives every line a service prints (JSON log lines). */
  onLine?: (name: ServiceName, line: string) => void;
  /** Fixed ports (default: the gateway's on portBase, the others after it in topology order). */
  ports?: Record<ServiceName, number>;
  /** The gateway's port when `ports` is absent; a random free-ish range when absent too. */
  portBase?: number;
  /** More environment per service, computed from its database's URL (the scenarios route it through proxies). */
  envFor?: (name: ServiceName, databaseUrl: string | undefined) => Record<string, string>;
  /** How the services run (see startServiceProcesses); the bundle unless told. */
  runtime?: "bundle" | "tsx";
}): Promise<TestStack> {
  const topicPrefix = `t${randomBytes(4).toString("hex")}.`;
  const databases = new Map<ServiceName, string>();
  for (const name of serviceNames.filter((n) => services[n].database)) databases.set(name, await createTestDatabase(name));
  const base = options.portBase ?? 23_000 + Math.floor(Math.random() * 400) * 10; // below the ephemeral range
  const ports = options.ports ?? (Object.fromEntries(serviceNames.map((name, i) => [name, base + i])) as Record<ServiceName, number>);
  const serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = {};
  for (const name of serviceNames) {
    serviceEnv[name] = { KAFKA_CONSUMER_GROUP: `${topicPrefix}${name}`, ...options.envFor?.(name, databases.get(name)), ...options.serviceEnv?.[name] };
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
  const onLine = (name: ServiceName, line: string) => {
    if (process.env.STACK_LOG) console.log(`[${name}] ${line}`);
    options.onLine?.(name, line);
  };
  const common = { databaseUrl: (name: ServiceName) => databases.get(name)!, brokers: options.brokers, env, serviceEnv, onLine, ...(options.runtime ? { runtime: options.runtime } : {}) };
  const processes = await startServiceProcesses({ names: serviceNames, ports, ...common });
  const urlEnv = Object.fromEntries(serviceNames.map((name) => [`${name.toUpperCase()}_URL`, processes.urls[name]]));
  return {
    processes,
    env,
    topicPrefix,
    databaseNames: [...databases.values()].map((url) => new URL(url).pathname.slice(1)),
    databases,
    startExtra: (name, port) => startServiceProcesses({ names: [name], ports: { ...ports, [name]: port }, ...common }),
    verify: (accepted, log, restTimeoutMs = 90_000) =>
      verify({
        env: urlEnv,
        brokers: options.brokers,
        topicPrefix,
        groupPrefix: topicPrefix,
        accepted,
        restTimeoutMs,
        log,
      }),
    stop: () => processes.stop(),
  };
}
