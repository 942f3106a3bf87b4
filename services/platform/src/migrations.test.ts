// Migrations against a real PostgreSQL: applied once and recorded, a re-run is
// a no-op, an edited applied migration is refused, a failing one leaves
// nothing behind, concurrent starts apply each file once, and databases
// recorded by the old runner are adopted rather than migrated again.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pg from "pg";
import { migrate, MigrationChangedError } from "./migrations.ts";
import { createTestDatabase } from "./test-support.ts";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "meshmart-migrations-"));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const options = { schemaTable: "schemaversion" };

describe("migrations", () => {
  it("applies files in version order once, and a re-run applies nothing", async () => {
    const url = await createTestDatabase("migrations_apply");
    const dir = await migrationsDir({
      "002.do.add_price.sql": "ALTER TABLE item ADD COLUMN price integer NOT NULL DEFAULT 0;",
      "001.do.create_item.sql": "CREATE TABLE item (id integer PRIMARY KEY);",
    });
    assert.deepEqual(await migrate(url, dir, options), ["1.create_item", "2.add_price"]);
    assert.deepEqual(await migrate(url, dir, options), []);
    const columns = await query<{ column_name: string }>(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'item' ORDER BY column_name");
    assert.deepEqual(columns.map((c) => c.column_name), ["id", "price"]);
    const recorded = await query<{ version: string }>(url, "SELECT version FROM schemaversion WHERE version > 0 ORDER BY version");
    assert.deepEqual(recorded.map((r) => Number(r.version)), [1, 2]);
  });

  it("refuses an applied migration that was edited, and applies nothing after it", async () => {
    const url = await createTestDatabase("migrations_changed");
    const dir = await migrationsDir({ "001.do.create_item.sql": "CREATE TABLE item (id integer PRIMARY KEY);" });
    await migrate(url, dir, options);
    await writeFile(join(dir, "001.do.create_item.sql"), "CREATE TABLE item (id bigint PRIMARY KEY);");
    await writeFile(join(dir, "002.do.more.sql"), "CREATE TABLE more (id integer);");
    await assert.rejects(migrate(url, dir, options), (err: unknown) => {
      assert.ok(err instanceof MigrationChangedError);
      assert.match(err.message, /put the change in a new migration/);
      return true;
    });
    assert.deepEqual(await query(url, "SELECT to_regclass('more') AS t"), [{ t: null }]);
  });

  it("leaves neither the schema change nor a record when a migration fails", async () => {
    const url = await createTestDatabase("migrations_failing");
    const dir = await migrationsDir({
      "001.do.create_item.sql": "CREATE TABLE item (id integer PRIMARY KEY);",
      "002.do.broken.sql": "CREATE TABLE half (id integer); SELECT no_such_function();",
    });
    await assert.rejects(migrate(url, dir, options), /migration failed .*no_such_function/);
    assert.deepEqual(await query(url, "SELECT to_regclass('item') IS NOT NULL AS item, to_regclass('half') IS NOT NULL AS half"), [{ item: true, half: false }]);
    const recorded = await query<{ version: string }>(url, "SELECT version FROM schemaversion WHERE version > 0 ORDER BY version");
    assert.deepEqual(recorded.map((r) => Number(r.version)), [1]);
    // Fixed, the next start applies it.
    await writeFile(join(dir, "002.do.broken.sql"), "CREATE TABLE half (id integer);");
    assert.deepEqual(await migrate(url, dir, options), ["2.broken"]);
  });

  it("applies each file once when replicas start together", async () => {
    const url = await createTestDatabase("migrations_concurrent");
    const dir = await migrationsDir({
      "001.do.create_item.sql": "CREATE TABLE item (id integer PRIMARY KEY);",
      "002.do.seed.sql": "INSERT INTO item VALUES (1);",
    });
    const results = await Promise.all([migrate(url, dir, options), migrate(url, dir, options), migrate(url, dir, options)]);
    assert.deepEqual(results.flat().sort(), ["1.create_item", "2.seed"]);
    assert.deepEqual(await query(url, "SELECT count(*)::int AS n FROM item"), [{ n: 1 }]);
  });

  it("adopts the records of the old runner instead of running its files again", async () => {
    const url = await createTestDatabase("migrations_legacy");
    await query(url, "CREATE TABLE item (id integer PRIMARY KEY)");
    await query(url, "CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    await query(url, "INSERT INTO schema_migrations (name) VALUES ('001_create_item.sql')");
    const dir = await migrationsDir({
      "001.do.create_item.sql": "CREATE TABLE item (id integer PRIMARY KEY);",
      "002.do.add_price.sql": "ALTER TABLE item ADD COLUMN price integer NOT NULL DEFAULT 0;",
    });
    assert.deepEqual(await migrate(url, dir, options), ["2.add_price"]);
    assert.deepEqual(await migrate(url, dir, options), []);
  });
});
