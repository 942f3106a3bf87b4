// PostgreSQL access: a pg pool, SQL migrations applied at start-up, and a
// transaction helper. A Transaction only exists inside `transaction()`, which
// is what lets the outbox insist that events are written in one.
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Logger } from "./logger.ts";

export type Row = Record<string, unknown>;

/** The platform's own tables (outbox, inbox), migrated before each service's with the prefix "platform/". */
export const platformMigrations = new URL("../migrations", import.meta.url);

export interface Queryable {
  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** A database transaction in progress; handed to the callback of Database.transaction(). */
export class Transaction implements Queryable {
  /** Callbacks run after COMMIT succeeds (e.g. waking the outbox relay). */
  readonly afterCommit: Array<() => void> = [];

  constructor(readonly client: pg.PoolClient) {}

  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.client.query<R>(text, values);
  }
}

export class Database implements Queryable {
  readonly pool: pg.Pool;

  constructor(
    connectionString: string,
    private readonly logger?: Logger,
    poolSize = 10,
  ) {
    this.pool = new pg.Pool({ connectionString, max: poolSize, connectionTimeoutMillis: 5_000 });
    // An idle client losing its connection (database restart) must not crash the process.
    this.pool.on("error", (err) => this.logger?.warn({ err: err.message }, "idle database connection failed"));
  }

  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /** Runs `work` in a transaction: COMMIT if it resolves, ROLLBACK if it throws. */
  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new Transaction(client);
    let broken = false;
    try {
      await client.query("BEGIN");
      const result = await work(tx);
      await client.query("COMMIT");
      for (const callback of tx.afterCommit) callback();
      return result;
    } catch (err) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true; // the connection itself failed: do not return it to the pool
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  /**
   * Applies the `*.sql` files of `dir` in name order, each once (recorded as
   * `prefix` + file name), each in its own
   * transaction. An advisory lock serialises concurrent replicas starting together.
   */
  async migrate(dir: URL | string, prefix = ""): Promise<string[]> {
    const path = typeof dir === "string" ? dir : fileURLToPath(dir);
    const files = (await readdir(path)).filter((name) => name.endsWith(".sql")).sort();
    const applied: string[] = [];
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock(hashtext('meshmart.migrations'))");
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const done = new Set(
        (await client.query<{ name: string }>("SELECT name FROM schema_migrations")).rows.map((row) => row.name),
      );
      for (const file of files) {
        const name = prefix + file;
        if (done.has(name)) continue;
        const sql = await readFile(`${path}/${file}`, "utf8");
        try {
          await client.query("BEGIN");
          await client.query(sql);
          await client.query("INSERT INTO schema_migrations (name) VALUES ($1)", [name]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw new Error(`migration ${name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(name);
        this.logger?.info({ migration: name }, "migration applied");
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('meshmart.migrations'))").catch(() => {});
      client.release();
    }
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
    ) || /Connection terminated|timeout exceeded when trying to connect/i.test((err as Error)?.message ?? "")
  );
}
