// Database.transaction on the real PostgreSQL when the server ends the
// session of a transaction that is waiting on something else (no query
// running): found by the postgres-restart scenario, where orders died of an
// unhandled 'error' event while its relay awaited Kafka inside a transaction.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Database } from "./database.ts";
import { createTestDatabase } from "./test-support.ts";

describe("Database.transaction when the server ends its session", () => {
  let db: Database;
  before(async () => {
    db = new Database(await createTestDatabase("database"));
  });
  after(async () => {
    await db?.pool.end();
  });

  it("fails that transaction, keeps the process alive and the pool serving", async () => {
    const outcome = db.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      // Ended from another session while this one runs no query: the error arrives as an event.
      await db.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
      await sleep(300);
      return tx.query("SELECT 1");
    });
    await assert.rejects(outcome, /Connection terminated|terminating connection|not queryable/i);
    const { rows } = await db.query<{ one: number }>("SELECT 1 AS one");
    assert.equal(rows[0]!.one, 1, "the pool hands out a working connection afterwards");
  });
});
