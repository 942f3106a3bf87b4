import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { databaseErrorsAsUnavailable } from "./database-unavailable.ts";

const call = (err: Error) => databaseErrorsAsUnavailable(async () => Promise.reject(err))({} as never);

describe("databaseErrorsAsUnavailable", () => {
  it("turns a database that cannot be reached into unavailable, keeping the cause", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const restarting = Object.assign(new Error("the database system is shutting down"), { code: "57P03" });
    for (const err of [refused, restarting, new Error("Connection terminated unexpectedly"), new Error("timeout exceeded when trying to connect"), new Error("Client has encountered a connection error and is not queryable")]) {
      await assert.rejects(call(err), (e: unknown) => e instanceof ConnectError && e.code === Code.Unavailable && e.cause === err && /retry later/.test(e.message));
    }
  });

  it("leaves every other error as it was", async () => {
    const wrongQuery = Object.assign(new Error('relation "x" does not exist'), { code: "42P01" });
    await assert.rejects(call(wrongQuery), (e: unknown) => e === wrongQuery);
    const declared = new ConnectError("no such order", Code.NotFound);
    await assert.rejects(call(declared), (e: unknown) => e === declared);
  });
});
