// inventory's entry point as a real process: SIGTERM with a WatchStock
// stream open ends the stream (inventory's own streams end on the platform's
// draining signal) and exits 0 without waiting out the shutdown timeout; and
// main.ts reads inventory's own settings.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createTestDatabase, eventually, exitOf, freePort, testKafkaBrokers } from "@meshmart/platform/test-support";
import { InventoryService } from "@meshmart/proto/inventory/v1/inventory_pb";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: {
      ...process.env,
      LOG_LEVEL: "info",
      HOST: "127.0.0.1",
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString("hex")}.`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return { child, output: () => output };
}

describe("inventory process", () => {
  it("ends an open WatchStock stream on SIGTERM and exits 0, well within the shutdown timeout", async () => {
    const port = String(await freePort());
    const { child, output } = startMain({ PORT: port, DATABASE_URL: await createTestDatabase("inventory_main"), SHUTDOWN_TIMEOUT_MS: "30000" });
    after(() => child.kill("SIGKILL"));
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), { what: "inventory ready" });

    const client = createClient(InventoryService, createGrpcTransport({ baseUrl: url }));
    let received = 0;
    const stream = (async () => {
      for await (const _ of client.watchStock({ productIds: [randomUUID()] })) received++;
    })();
    await eventually(() => (received === 1 ? true : undefined), { what: "the snapshot" });

    const started = Date.now();
    const exited = exitOf(child);
    child.kill("SIGTERM");
    await stream; // ends without an error
    const code = await exited;
    assert.equal(code, 0, output());
    assert.ok(Date.now() - started < 15_000, `exited after ${Date.now() - started} ms`);
    assert.match(output(), /draining/);
  });

  it("fails start-up with one clear line naming a bad variable", async () => {
    const { child, output } = startMain({ PORT: "0", DATABASE_URL: "postgres://127.0.0.1:1/none", INVENTORY_SEED: "maybe" });
    const code = await exitOf(child);
    assert.equal(code, 1);
    assert.equal(output().trim(), 'inventory: config: INVENTORY_SEED must be true or false (got "maybe")');
  });
});
