// PostgreSQL access: a pg pool, its migrations (migrations.ts), and a
// transaction helper. A Transaction only exists inside `transaction()`, which
// is what lets the outbox insist that events are written in one.
import pg from "pg";
import type { Logger } from "./logger.ts";
import { migrate, platformSchemaTable, serviceSchemaTable } from "./migrations.ts";
import { retrying } from "./retry.ts";
import { dbAttributes, inDbSpan, queryAttributes } from "./telemetry/db-spans.ts";

export type Row = Record<string, unknown>;

/** The platform's own tables (outbox, inbox), migrated before each service's with the prefix "platform/". */
export const platformMigrations = new URL("../migrations", import.meta.url);

export interface Queryable {
  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** A database transaction in progress; handed to the callback of Database.transaction(). */
export class Transaction implements Queryable {
  private readonly onCommit: Array<() => void> = [];

  constructor(
    readonly client: pg.PoolClient,
    private readonly spanAttributes: Record<string, string> = {},
  ) {}

  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const { name, attributes } = queryAttributes(this.spanAttributes, text);
    return inDbSpan(name, attributes, () => this.client.query<R>(text, values));
  }

  /**
   * Holds an advisory lock on (`namespace`, `key`) until the transaction ends:
   * serialises everything done for one key (an order id) even before any row
   * exists to lock. The two-key form keeps these apart from the platform's
   * single-key locks (the relay's leadership, migrations).
   */
  async lockKey(namespace: string, key: string): Promise<void> {
    await this.query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", [namespace, key]);
  }

  /**
   * Runs `effect` once the transaction has committed, never when it rolls
   * back: metrics and log lines of what the transaction did (a retried
   * transaction would otherwise count twice).
   */
  afterCommit(effect: () => void): void {
    this.onCommit.push(effect);
  }

  /** @internal Database.transaction() calls it after COMMIT. */
  committed(): void {
    for (const effect of this.onCommit.splice(0)) {
      try {
        effect();
      } catch {
        // an observer's failure must not turn a committed transaction into an error
      }
    }
  }
}

export class Database implements Queryable {
  readonly pool: pg.Pool;
  private readonly spanAttributes: Record<string, string>;

  constructor(
    readonly connectionString: string,
    private readonly logger?: Logger,
    poolSize = 10,
  ) {
    this.pool = new pg.Pool({ connectionString, max: poolSize, connectionTimeoutMillis: 5_000 });
    this.spanAttributes = dbAttributes(new URL(connectionString).pathname.slice(1)) as Record<string, string>;
    // An idle client losing its connection (database restart) must not crash the process.
    this.pool.on("error", (err) => this.logger?.warn({ err: err.message }, "idle database connection failed"));
  }

  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const { name, attributes } = queryAttributes(this.spanAttributes, text);
    return inDbSpan(name, attributes, () => this.pool.query<R>(text, values));
  }

  /** Runs `work` in a transaction: COMMIT if it resolves, ROLLBACK if it throws. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return inDbSpan("transaction", this.spanAttributes, () => this.transact(work));
  }

  private async transact<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new Transaction(client, this.spanAttributes);
    let broken = false;
    // A checked-out client has no error listener of the pool's: the server
    // ending the session while no query runs (a restart while the work awaits
    // something else, e.g. the relay's publish to Kafka) would be an unhandled
    // 'error' and take the process down. The next query then fails instead.
    const onError = (err: Error) => {
      broken = true;
      this.logger?.warn({ err: err.message }, "database connection failed during a transaction");
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await work(tx);
      await client.query("COMMIT");
      tx.committed();
      return result;
    } catch (err) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true; // the connection itself failed: do not return it to the pool
      }
      throw err;
    } finally {
      client.removeListener("error", onError);
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  /**
   * Waits for the database to accept connections (in a cluster it may start
   * after the service), up to `waitMs`; then the last error stops the start-up.
   */
  async waitUntilReachable(waitMs: number): Promise<void> {
    await retrying(() => this.ping(), {
      initialDelayMs: 250,
      deadlineMs: waitMs,
      onRetry: (err, delayMs) => this.logger?.warn({ err: err.message, retryInMs: Math.round(delayMs) }, "waiting for the database"),
    }).catch((err: Error) => {
      throw new Error(`database unreachable: ${err.message}`, { cause: err });
    });
  }

  /** The platform's tables (outbox, inbox), then the service's own migrations from `dir` (if any). */
  async migrate(dir?: URL | string): Promise<string[]> {
    const applied = await migrate(this.connectionString, platformMigrations, { schemaTable: platformSchemaTable, ...(this.logger ? { logger: this.logger } : {}) });
    if (dir) applied.push(...(await migrate(this.connectionString, dir, { schemaTable: serviceSchemaTable, ...(this.logger ? { logger: this.logger } : {}) })));
    return applied;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** True for errors that mean the database is unreachable rather than the query being wrong. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code ?? "";
  return (
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "57P01", "57P02", "57P03", "08000", "08003", "08006"].includes(
      code,
    ) || /Connection terminated|timeout exceeded when trying to connect|not queryable/i.test((err as Error)?.message ?? "")
  );
}
