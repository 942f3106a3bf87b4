// What a service declares (ServiceDefinition) and what its code gets to work
// with once it runs (Runtime). startService() (service.ts) turns the one into
// the other.
import type { ConnectRouter } from "@connectrpc/connect";
import type Koa from "koa";
import type { ServiceName } from "@meshmart/topology";
import type { ConfigOf, ConfigSpec, Env } from "./config.ts";
import type { Database } from "./database.ts";
import type { EventConsumer, Outbox } from "./events/index.ts";
import type { FaultSwitch } from "./fault-switch.ts";
import type { Health } from "./health.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import type { baseConfig } from "./service-config.ts";

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
