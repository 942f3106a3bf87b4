// SQL migrations with postgrator: files `<version>.do.<name>.sql`, applied in
// version order, each recorded with its checksum in a version table; a file
// changed after it was applied is refused with a clear error (a migration
// that ran is history: change the schema with a new one). Each migration and
// its record commit in one transaction, so a crash leaves it either applied
// and recorded or neither. An advisory lock serialises replicas that start
// together.
import { fileURLToPath } from "node:url";
import pg from "pg";
import Postgrator from "postgrator";
import type { Logger } from "./logger.ts";

export interface MigrateOptions {
  /** Where the applied versions are recorded; the platform's and a service's own migrations each have one. */
  readonly schemaTable: string;
  readonly logger?: Logger;
}

export class MigrationChangedError extends Error {
  override readonly name = "MigrationChangedError";
}

const lockKey = "hashtext('meshmart.migrations')";

/** Applies the migrations of `dir` that are not yet recorded; returns their names. */
export async function migrate(connectionString: string, dir: URL | string, options: MigrateOptions): Promise<string[]> {
  const path = typeof dir === "string" ? dir : fileURLToPath(dir);
  const client = new pg.Client({ connectionString });
  await client.connect();
  // A migration's script runs after BEGIN; the query that records it commits both.
  let inMigration = false;
  const postgrator = new Postgrator({
    migrationPattern: `${path}/*.sql`,
    driver: "pg",
    schemaTable: options.schemaTable,
    validateChecksums: true,
    execQuery: async (query: string) => {
      const result = await client.query(query);
      if (inMigration) {
        inMigration = false;
        await client.query("COMMIT");
      }
      return { rows: result.rows as Record<string, unknown>[] };
    },
    execSqlScript: async (script: string) => {
      await client.query("BEGIN");
      inMigration = true;
      await client.query(script);
    },
  });
  try {
    await client.query(`SELECT pg_advisory_lock(${lockKey})`);
    await adoptLegacyRecords(client, postgrator, options.schemaTable);
    const applied = await postgrator.migrate();
    for (const migration of applied) options.logger?.info({ migration: `${options.schemaTable}/${migration.filename.split("/").at(-1)}` }, "migration applied");
    return applied.map((m) => `${m.version}.${m.name}`);
  } catch (err) {
    if (inMigration) await client.query("ROLLBACK").catch(() => {});
    const message = (err as Error).message;
    if (/checksum failed/i.test(message)) {
      throw new MigrationChangedError(
        `${message} (${path}): an applied migration was edited; restore it and put the change in a new migration`,
        { cause: err },
      );
    }
    throw new Error(`migration failed (${path}): ${message}`, { cause: err });
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${lockKey})`).catch(() => {});
    await client.end();
  }
}

/**
 * Databases migrated before postgrator recorded `<prefix><version>_<name>.sql`
 * in schema_migrations: the same files are recorded as applied (with today's
 * checksums) instead of being run again.
 */
async function adoptLegacyRecords(client: pg.Client, postgrator: Postgrator, schemaTable: string): Promise<void> {
  const legacy = await client.query<{ exists: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists");
  if (!legacy.rows[0]?.exists) return;
  const current = await client.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [schemaTable]);
  if (current.rows[0]?.exists) return;
  const prefix = schemaTable === platformSchemaTable ? "platform/" : "";
  const names = new Set((await client.query<{ name: string }>("SELECT name FROM schema_migrations")).rows.map((r) => r.name));
  const migrations = await postgrator.getMigrations();
  const adopted = migrations.filter((m) => names.has(`${prefix}${String(m.version).padStart(3, "0")}_${m.name}.sql`));
  if (adopted.length === 0) return;
  await client.query(`CREATE TABLE ${schemaTable} (version bigint PRIMARY KEY, name text, md5 text, run_at timestamptz)`);
  for (const m of adopted) {
    await client.query(`INSERT INTO ${schemaTable} (version, name, md5, run_at) VALUES ($1, $2, $3, now())`, [m.version, m.name, m.md5]);
  }
}

/** The version table of the platform's own migrations (outbox, inbox). */
export const platformSchemaTable = "platform_schemaversion";
/** The version table of a service's migrations. */
export const serviceSchemaTable = "schemaversion";
