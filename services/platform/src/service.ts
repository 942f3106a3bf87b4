// startService() is how every meshmart service comes to life: it reads the
// config, opens the database and applies migrations, mounts the RPCs and the
// health and metrics routes on one port, starts background workers, and on
// SIGTERM drains: readiness goes false, in-flight requests finish, workers
// stop, connections close, exit 0.
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import Koa from "koa";
import {
  bool,
  ConfigError,
  int,
  loadConfig,
  list,
  oneOf,
  port,
  setting,
  str,
  type ConfigOf,
  type ConfigSpec,
  type Env,
} from "./config.ts";
import { connectMiddleware } from "./connect-middleware.ts";
import { Database, platformMigrations } from "./database.ts";
import { EventConsumer, KafkaEventBus, Outbox, OutboxRelay, deadLetterTopic, type EventBus } from "./events/index.ts";
import { deadlineFromHeaders } from "./deadline.ts";
import { FaultSwitch, parseFaults } from "./fault-switch.ts";
import { Health } from "./health.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { childTrace, newRequestId, parseTraceparent, runWithContext } from "./request-context.ts";
import { LogLimiter } from "./log-limiter.ts";
import { listen } from "./server.ts";
import { checkServerLimits, serverLimitsConfig } from "./server-limits.ts";
import { services, type ServiceName } from "@meshmart/topology";

const baseConfig = {
  PORT: port(),
  HOST: str("0.0.0.0"),
  LOG_LEVEL: oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const, "info"),
  SHUTDOWN_TIMEOUT_MS: int({ default: 10_000, min: 0, max: 300_000 }),
  /** Fault switch rules (see fault-switch.ts); empty means off. */
  FAULTS: setting(parseFaults, []),
  /** Enables GET/PUT /admin/faults to change the rules at run time. Never on by default. */
  FAULT_ADMIN: bool(false),
  ...serverLimitsConfig,
};

/** What a service's code gets to work with. */
export interface Runtime<S extends ConfigSpec = ConfigSpec> {
  readonly name: ServiceName;
  readonly config: ConfigOf<typeof baseConfig> & ConfigOf<S>;
  readonly env: Env;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: Health;
  readonly faults: FaultSwitch;
  /** Aborted when the service starts draining: long-lived streams end on it. */
  readonly draining: AbortSignal;
  /** Present when the service declares migrations. */
  readonly db: Database;
  /** Writes events in a transaction (services with a database). */
  readonly outbox: Outbox;
}

/** A background worker (relay, consumer): started after the port is open, stopped on shutdown. */
export interface Worker {
  stop(): Promise<void>;
}

export interface ServiceDefinition<S extends ConfigSpec = ConfigSpec> {
  name: ServiceName;
  /** Settings beyond the common ones (PORT, LOG_LEVEL, ...), read from the environment. */
  config?: S;
  /** Folder of SQL migrations; declaring it gives the service a database (DATABASE_URL). */
  migrations?: URL;
  /** Registers the Connect-RPC handlers. */
  rpc?: (router: ConnectRouter, runtime: Runtime<S>) => void;
  /** Adds ordinary Koa middleware and routes, mounted after the RPCs. */
  http?: (app: Koa, runtime: Runtime<S>) => void;
  /** Registers event handlers; the platform runs them with an inbox, retries and a dead-letter topic. */
  events?: (consumer: EventConsumer, runtime: Runtime<S>) => void;
  /** Starts background work once the database is migrated. */
  workers?: (runtime: Runtime<S>) => Promise<Worker[]> | Worker[];
}

export interface RunningService<S extends ConfigSpec = ConfigSpec> {
  readonly runtime: Runtime<S>;
  readonly port: number;
  readonly url: string;
  /** Graceful shutdown; resolves when everything is closed. */
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Env;
  /** Install SIGTERM/SIGINT handlers that stop the service and exit (main entry points only). */
  handleSignals?: boolean;
  /** Where log lines go instead of stdout (tests that read them). */
  logDestination?: { write(line: string): void };
}

export async function startService<S extends ConfigSpec>(
  definition: ServiceDefinition<S>,
  options: StartOptions = {},
): Promise<RunningService<S>> {
  const env = options.env ?? process.env;
  const topology = services[definition.name];
  const usesEvents = Boolean(definition.migrations) && (topology.produces.length > 0 || topology.consumes.length > 0);
  const spec = {
    ...baseConfig,
    ...(definition.migrations ? { DATABASE_URL: str(), DATABASE_WAIT_MS: int({ default: 60_000, min: 0, max: 600_000 }) } : {}),
    ...(usesEvents ? eventConfig : {}),
    ...(definition.config ?? {}),
  };
  const config = loadConfig(spec, env) as Runtime<S>["config"] & { DATABASE_URL?: string; DATABASE_WAIT_MS?: number } & Partial<
      ConfigOf<typeof eventConfig>
    >;
  const logger = createLogger(definition.name, config.LOG_LEVEL, options.logDestination);
  const metrics = createMetrics(definition.name);
  const health = new Health();
  const faults = new FaultSwitch(config.FAULTS);
  const drain = new AbortController();
  const limits = checkServerLimits(config);
  const log = new LogLimiter(logger);
  if (faults.active.length > 0) logger.warn({ faults: config.FAULTS }, "fault switch is ON");

  let db: Database | undefined;
  if (definition.migrations && config.DATABASE_URL) {
    db = new Database(config.DATABASE_URL, logger);
    await waitForDatabase(db, logger, config.DATABASE_WAIT_MS ?? 60_000);
    await db.migrate(platformMigrations, "platform/");
    await db.migrate(definition.migrations);
    const database = db;
    health.addCheck("database", () => database.ping());
  }
  const runtime: Runtime<S> = {
    name: definition.name,
    config,
    env,
    logger,
    metrics,
    health,
    faults,
    draining: drain.signal,
    outbox: new Outbox(`/meshmart/${definition.name}`, config.KAFKA_TOPIC_PREFIX ?? ""),
    get db(): Database {
      if (!db) throw new Error(`${definition.name} declares no migrations, so it has no database`);
      return db;
    },
  };

  const app = new Koa();
  app.proxy = true;
  app.use(requestContext());
  app.use(healthAndMetricsRoutes(health, metrics));
  if (config.FAULT_ADMIN) app.use(faultAdminRoute(faults, logger));
  if (definition.rpc) {
    const register = definition.rpc;
    const interceptors: Interceptor[] = [
      metrics.serverInterceptor,
      errorLogging(log),
      createValidateInterceptor(),
      faults.interceptor(),
    ];
    app.use(connectMiddleware({ routes: (router) => register(router, runtime), interceptors, readMaxBytes: limits.HTTP_MAX_REQUEST_BYTES, log }));
  }
  definition.http?.(app, runtime);
  app.on("error", (err: Error & { status?: number; code?: string }) => {
    // A client that hung up mid-request, or an HTTP error a route threw on purpose, is not our fault.
    const clientSide = (err.status !== undefined && err.status < 500) || clientGoneCodes.has(err.code ?? "");
    if (clientSide) log.log("info", "http-client-error", { status: err.status, code: err.code, err: err.message }, "HTTP request failed on the client's side");
    else log.log("error", "http-error", { err }, "unhandled HTTP error");
  });

  const server = await listen(app, { port: config.PORT, host: config.HOST, limits, logger });
  const workers = definition.workers ? await definition.workers(runtime) : [];
  if (usesEvents && db) workers.push(startEventWorkers(definition, runtime, config as unknown as EventWorkerConfig));
  const url = `http://127.0.0.1:${server.port}`;
  logger.info({ port: server.port, rpcService: services[definition.name].rpcService }, "serving");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info("draining: readiness is now false");
      health.startDraining();
      drain.abort();
      await server.close(config.SHUTDOWN_TIMEOUT_MS);
      for (const worker of workers.reverse()) {
        await worker.stop().catch((err: Error) => logger.error({ err }, "worker did not stop cleanly"));
      }
      await db?.close();
      logger.info("stopped");
    })());

  if (options.handleSignals) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => {
        logger.info({ signal }, "shutdown requested");
        stop().then(
          () => process.exit(0),
          (err: Error) => {
            logger.error({ err }, "shutdown failed");
            process.exit(1);
          },
        );
      });
    }
  }
  return { runtime, port: server.port, url, stop };
}

/**
 * Waits for the database to accept connections (in a cluster it may start
 * after the service), up to `waitMs`; then the last error stops the start-up.
 */
async function waitForDatabase(db: Database, logger: Logger, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let backoff = 250; ; backoff = Math.min(backoff * 2, 5_000)) {
    try {
      await db.ping();
      return;
    } catch (err) {
      if (Date.now() + backoff > deadline) throw new Error(`database unreachable: ${(err as Error).message}`, { cause: err });
      logger.warn({ err: (err as Error).message, retryInMs: backoff }, "waiting for the database");
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

const eventConfig = {
  KAFKA_BROKERS: list(),
  /** Partitions of the topics this service creates when they are missing. */
  KAFKA_PARTITIONS: int({ default: 3, min: 1, max: 1000 }),
  /** Prepended to every topic name; isolates test runs that share a broker. */
  KAFKA_TOPIC_PREFIX: str(""),
  /** Consumer group; defaults to the topic prefix + the service name. */
  KAFKA_CONSUMER_GROUP: str(""),
  /** Attempts before a failing event is dead-lettered. */
  EVENT_MAX_ATTEMPTS: int({ default: 5, min: 1, max: 100 }),
  /** Partitions a consumer handles at the same time (order holds within a partition). */
  EVENT_CONCURRENCY: int({ default: 3, min: 1, max: 64 }),
  OUTBOX_POLL_MS: int({ default: 1_000, min: 10, max: 60_000 }),
};

type EventWorkerConfig = ConfigOf<typeof eventConfig> & { DATABASE_URL: string };

/**
 * The relay and the consumer. They start in the background: a broker that is
 * down at start-up delays events (topics are created once it answers) but does
 * not stop the service from serving.
 */
function startEventWorkers<S extends ConfigSpec>(
  definition: ServiceDefinition<S>,
  runtime: Runtime<S>,
  config: EventWorkerConfig,
): Worker {
  const { logger } = runtime;
  const topology = services[definition.name];
  const prefix = config.KAFKA_TOPIC_PREFIX;
  const bus: EventBus = new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: definition.name, logger });
  const relay = new OutboxRelay({
    db: runtime.db,
    databaseUrl: config.DATABASE_URL,
    bus,
    logger: logger.child({ component: "outbox-relay" }),
    registry: runtime.metrics.registry,
    pollIntervalMs: config.OUTBOX_POLL_MS,
  });
  const consumer = new EventConsumer({
    name: config.KAFKA_CONSUMER_GROUP || prefix + definition.name,
    bus,
    db: runtime.db,
    outbox: runtime.outbox,
    logger: logger.child({ component: "event-consumer" }),
    registry: runtime.metrics.registry,
    faults: runtime.faults,
    topicPrefix: prefix,
    maxAttempts: config.EVENT_MAX_ATTEMPTS,
    concurrency: config.EVENT_CONCURRENCY,
  });
  definition.events?.(consumer, runtime);

  let stopped = false;
  const started = (async () => {
    if (topology.produces.length > 0) relay.start();
    const topics = [
      ...topology.produces.map((topic) => prefix + topic),
      ...topology.consumes.flatMap((topic) => [prefix + topic, deadLetterTopic(prefix + topic)]),
    ];
    for (let backoff = 200; !stopped; backoff = Math.min(backoff * 2, 5_000)) {
      try {
        await bus.ensureTopics(topics, config.KAFKA_PARTITIONS);
        break;
      } catch (err) {
        logger.warn({ err: (err as Error).message, retryInMs: backoff }, "kafka not reachable yet; will create topics when it is");
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
    if (!stopped) await consumer.start();
  })().catch((err: Error) => logger.error({ err }, "event consumer failed to start"));

  return {
    async stop() {
      stopped = true;
      await started;
      await consumer.stop();
      await relay.stop();
      await bus.close();
    },
  };
}

/**
 * Wraps a factory so that each running service gets one instance, shared by
 * its rpc, events and workers hooks (a saga, a change feed).
 */
export function perRuntime<R extends object, T>(create: (runtime: R) => T): (runtime: R) => T {
  const instances = new WeakMap<R, T>();
  return (runtime) => {
    if (!instances.has(runtime)) instances.set(runtime, create(runtime));
    return instances.get(runtime)!;
  };
}

/** Entry point helper for main.ts: a config error prints one line and exits 1. */
export async function runService<S extends ConfigSpec>(definition: ServiceDefinition<S>): Promise<void> {
  try {
    await startService(definition, { handleSignals: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${definition.name}: ${err.message}\n`);
    } else {
      process.stderr.write(`${definition.name}: failed to start: ${(err as Error).message}\n`);
    }
    process.exit(1);
  }
}

function requestContext(): Koa.Middleware {
  return (ctx, next) => {
    const requestId = ctx.get("x-request-id") || newRequestId();
    const trace = childTrace(parseTraceparent(ctx.get("traceparent")));
    const deadline = deadlineFromHeaders((name) => ctx.get(name) || undefined);
    ctx.set("x-request-id", requestId);
    return runWithContext({ requestId, trace, deadline }, next);
  };
}

function healthAndMetricsRoutes(health: Health, metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    switch (ctx.path) {
      case "/healthz":
        ctx.body = { status: "alive" };
        return;
      case "/readyz": {
        const report = await health.readiness();
        ctx.status = report.ready ? 200 : 503;
        ctx.body = report;
        return;
      }
      case "/metrics":
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
        return;
      default:
        return next();
    }
  };
}

const maxFaultRulesBytes = 64 * 1024;

/** GET shows the fault rules, PUT replaces them (body: a FAULTS specification, empty turns faults off). */
function faultAdminRoute(faults: FaultSwitch, logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.path !== "/admin/faults") return next();
    if (ctx.method === "PUT") {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of ctx.req) {
        size += (chunk as Buffer).length;
        if (size > maxFaultRulesBytes) {
          ctx.status = 413;
          ctx.set("connection", "close");
          ctx.body = { error: `fault rules are at most ${maxFaultRulesBytes} bytes` };
          return;
        }
        chunks.push(chunk as Buffer);
      }
      try {
        faults.replace(parseFaults(Buffer.concat(chunks).toString("utf8")));
      } catch (err) {
        ctx.status = 400;
        ctx.body = { error: (err as Error).message };
        return;
      }
      logger.warn({ faults: faults.active }, "fault rules replaced");
    } else if (ctx.method !== "GET") {
      ctx.status = 405;
      return;
    }
    ctx.body = { faults: faults.active };
  };
}

/** Error codes of a socket or stream whose client went away or broke the protocol. */
const clientGoneCodes = new Set([
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_HTTP2_ERROR", // nghttp2 refused what the peer sent (a protocol error)
  "ERR_HTTP2_STREAM_ERROR", // the peer reset the stream
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_INVALID_STREAM",
  "ERR_HTTP2_SETTINGS_TIMEOUT", // server.ts ends a session whose client never acknowledged SETTINGS
]);

/**
 * Internal errors are logged with their stack (rate-limited per RPC: a client
 * that found a bug must not flood the log with it); expected codes only at debug.
 */
function errorLogging(log: LogLimiter): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      const error = ConnectError.from(err);
      const rpc = `${req.service.typeName}/${req.method.name}`;
      const fields = { rpc, code: Code[error.code] };
      if (error.code === Code.Internal || error.code === Code.Unknown) log.log("error", `rpc-failed ${rpc}`, { ...fields, err }, "rpc failed");
      else log.log("debug", `rpc-error ${rpc} ${error.code}`, { ...fields, msg: error.rawMessage }, "rpc returned an error");
      throw err;
    }
  };
}
