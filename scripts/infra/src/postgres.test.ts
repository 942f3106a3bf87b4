// Runs against the server in DATABASE_URL, else starts (or reuses) the local
// server of profile test, which this process then stops when it exits.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { startPostgres, type PostgresHandle } from "./postgres.ts";
import { portFromEnv } from "./ports.ts";

const suffix = `${process.pid}_${Date.now()}`;
const dbA = `infra_test_a_${suffix}`;
const dbB = `infra_test_b_${suffix}`;
let server: PostgresHandle;

before(async () => {
  server = await startPostgres({ profile: "test", databases: [dbA] });
});

after(async () => {
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  for (const db of [dbA, dbB]) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(db)}`);
  await admin.end();
});

test("a second start reuses the running server", async () => {
  const again = await startPostgres({ profile: "test" });
  assert.equal(again.adminUrl, server.adminUrl);
  await again.stop(); // not ours: must leave the server running
  await query(server.adminUrl, "SELECT 1");
});

test("ensureDatabases is idempotent, also when called concurrently", async () => {
  await server.ensureDatabases([dbA, dbB]);
  await Promise.all([server.ensureDatabases([dbB]), server.ensureDatabases([dbA, dbB, dbB])]);
  const rows = await query(server.adminUrl, "SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY datname", [[dbA, dbB]]);
  assert.deepEqual(rows.map((r) => r.datname), [dbA, dbB]);
});

test("urlFor points at that database and queries work", async () => {
  const url = server.urlFor(dbB);
  assert.match(url, new RegExp(`/${dbB}$`));
  const rows = await query(url, "SELECT current_database() AS db, $1::int + 1 AS n", [41]);
  assert.deepEqual(rows, [{ db: dbB, n: 42 }]);
});

async function query(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

test("halt, kill and start keep the server's data (a private server: the fault scenarios do this)", { timeout: 180_000 }, async () => {
  // MESHMART_PG_PORT moves every profile's server: keep this one clear of it.
  const moved = portFromEnv("MESHMART_PG_PORT");
  const own = await startPostgres({ profile: "test-pg-outage", port: moved ? moved + 10 : undefined, databases: ["outage"] });
  try {
    const url = own.urlFor("outage");
    await query(url, "CREATE TABLE IF NOT EXISTS kept (n int)");
    await query(url, "INSERT INTO kept VALUES (1)");
    await own.halt();
    await assert.rejects(query(url, "SELECT 1"), "the server still answers after halt()");
    await own.start();
    await query(url, "INSERT INTO kept VALUES (2)");
    const held = new pg.Client({ connectionString: url });
    held.on("error", () => {});
    await held.connect();
    await own.kill();
    await assert.rejects(held.query("SELECT 1"), "a connection survived kill()");
    await assert.rejects(query(url, "SELECT 1"), "the server still answers after kill()");
    await own.start(); // crash recovery
    const rows = await query(url, "SELECT n FROM kept ORDER BY n");
    assert.deepEqual(rows.slice(-2), [{ n: 1 }, { n: 2 }]);
    await query(url, "DROP TABLE kept");
  } finally {
    await own.stop();
  }
});
