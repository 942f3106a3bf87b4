// startService() is how every meshmart service comes to life: it reads the
// config (service-config.ts), waits for its database and applies the
// migrations, mounts the platform's routes (http-routes.ts), the RPCs,
// grpc.health.v1 (grpc-health.ts) and server reflection (grpc-reflection.ts)
// on one port (server.ts), starts the workers and the event workers
// (event-workers.ts), and on SIGTERM shuts down gracefully (shutdown.ts).
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import Koa from "koa";
import { services } from "@meshmart/topology";
import { ConfigError, loadConfig, type ConfigOf, type ConfigSpec } from "./config.ts";
import { connectMiddleware } from "./connect-middleware.ts";
import { Database } from "./database.ts";
import { databaseErrorsAsUnavailable } from "./database-unavailable.ts";
import { logHttpErrors, rpcErrorLogging } from "./error-logging.ts";
import { startEventWorkers } from "./event-workers.ts";
import { Outbox } from "./events/index.ts";
import { FaultSwitch } from "./fault-switch.ts";
import { serveGrpcHealth } from "./grpc-health.ts";
import { serveReflection } from "./grpc-reflection.ts";
import { Health } from "./health.ts";
import { faultAdminRoute, healthAndMetricsRoutes, requestContext } from "./http-routes.ts";
import { LogLimiter } from "./log-limiter.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { listen } from "./server.ts";
import { checkServerLimits } from "./server-limits.ts";
import { baseConfig, databaseConfig, eventConfig } from "./service-config.ts";
import type { RunningService, Runtime, ServiceDefinition, StartOptions } from "./service-definition.ts";
import { gracefulShutdown, stopOnSignals } from "./shutdown.ts";
import { unimplementedRpcs } from "./unimplemented-rpc.ts";
import { rpcServerSpans, serverSpans } from "./telemetry/server-spans.ts";
import { flushTracing, startTracing } from "./telemetry/tracing.ts";

export type { RunningService, Runtime, ServiceDefinition, StartOptions, Worker } from "./service-definition.ts";

type AssembledConfig<S extends ConfigSpec> = Runtime<S>["config"] &
  Partial<ConfigOf<typeof databaseConfig>> &
  Partial<ConfigOf<typeof eventConfig>>;

export async function startService<S extends ConfigSpec>(
  definition: ServiceDefinition<S>,
  options: StartOptions = {},
): Promise<RunningService<S>> {
  const env = options.env ?? process.env;
  const topology = services[definition.name];
  const usesEvents = Boolean(definition.migrations) && (topology.produces.length > 0 || topology.consumes.length > 0);
  const spec = {
    ...baseConfig,
    ...(definition.migrations ? databaseConfig : {}),
    ...(usesEvents ? eventConfig : {}),
    ...(definition.config ?? {}),
  };
  const config = loadConfig(spec, env) as AssembledConfig<S>;
  const logger = createLogger(definition.name, config.LOG_LEVEL, options.logDestination);
  const tracing = startTracing(definition.name, config);
  if (tracing.endpoint) logger.info({ endpoint: tracing.endpoint, sampler: config.OTEL_TRACES_SAMPLER }, "exporting traces (OTLP/HTTP)");
  const metrics = createMetrics(definition.name);
  const health = new Health();
  const faults = new FaultSwitch(config.FAULTS);
  const drain = new AbortController();
  const limits = checkServerLimits(config);
  const log = new LogLimiter(logger);
  if (faults.active.length > 0) logger.warn({ faults: config.FAULTS }, "fault switch is ON");

  let db: Database | undefined;
  if (definition.migrations && config.DATABASE_URL) {
    const database = new Database(config.DATABASE_URL, logger);
    await database.waitUntilReachable(config.DATABASE_WAIT_MS ?? 60_000);
    await database.migrate(definition.migrations);
    health.addCheck("database", () => database.ping());
    db = database;
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
  app.use(serverSpans());
  app.use(metrics.httpMiddleware);
  app.use(healthAndMetricsRoutes(health, metrics));
  if (config.FAULT_ADMIN) app.use(faultAdminRoute(faults, logger));
  // The service's RPCs (if any), then grpc.health.v1 and server reflection, which name them.
  const routes = (router: ConnectRouter) => {
    definition.rpc?.(router, runtime);
    serveGrpcHealth(router, { health, draining: drain.signal });
    serveReflection(router);
  };
  const interceptors: Interceptor[] = [rpcServerSpans, metrics.serverInterceptor, rpcErrorLogging(log), databaseErrorsAsUnavailable, createValidateInterceptor(), faults.interceptor()];
  app.use(connectMiddleware({ routes, interceptors, readMaxBytes: limits.HTTP_MAX_REQUEST_BYTES, log }));
  app.use(unimplementedRpcs());
  definition.http?.(app, runtime);
  logHttpErrors(app, log);

  const server = await listen(app, { port: config.PORT, host: config.HOST, limits, logger });
  metrics.watchServer(server);
  // Stopped last: the spans of the shutdown itself still leave.
  const workers = [{ stop: flushTracing }, ...(definition.workers ? await definition.workers(runtime) : [])];
  if (usesEvents && db && config.DATABASE_URL) {
    workers.push(startEventWorkers(definition, runtime, { ...(config as unknown as ConfigOf<typeof eventConfig>), DATABASE_URL: config.DATABASE_URL }));
  }
  logger.info({ port: server.port, rpcService: topology.rpcService }, "serving");

  const stop = gracefulShutdown({ logger, health, drain, server, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, drainDelayMs: config.DRAIN_DELAY_MS, workers, db });
  if (options.handleSignals) stopOnSignals(stop, logger);
  return { runtime, port: server.port, url: `http://127.0.0.1:${server.port}`, stop };
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
