// The catalog entry point as a real process: graceful shutdown on SIGTERM and
// a clear one-line failure for bad configuration.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { createTestDatabase, eventually } from "@meshmart/platform/test-support";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { ...process.env, LOG_LEVEL: "info", HOST: "127.0.0.1", KAFKA_TOPIC_PREFIX: "t-catalog-main.", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

describe("catalog process", () => {
  let databaseUrl: string;
  before(async () => {
    databaseUrl = await createTestDatabase("catalog_main");
  });

  it("finishes a slow call in flight on SIGTERM, then exits 0", async () => {
    const port = String(28_000 + Math.floor(Math.random() * 2_000)); // below the ephemeral range
    const { child, output } = startMain({ PORT: port, DATABASE_URL: databaseUrl, FAULTS: "ListProducts=stall:1500" });
    after(() => child.kill("SIGKILL"));
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), { what: "catalog ready" });

    const client = createClient(CatalogService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
    const started = Date.now();
    const slowCall = client.listProducts({});
    await new Promise((resolve) => setTimeout(resolve, 300)); // the call is now stalled inside the server
    child.kill("SIGTERM");
    const exited = once(child, "exit");

    const res = await slowCall;
    assert.deepEqual(res.products, []);
    assert.ok(Date.now() - started >= 1400, "the call ran its full stall");
    const [code] = await exited;
    assert.equal(code, 0, output());
    assert.match(output(), /draining/);
  });

  it("fails start-up with one clear line naming a bad variable", async () => {
    const { child, output } = startMain({ PORT: "eighty", DATABASE_URL: databaseUrl });
    const [code] = await once(child, "exit");
    assert.equal(code, 1);
    assert.equal(output().trim(), 'catalog: config: PORT must be an integer between 0 and 65535 (got "eighty")');
  });

  it("fails start-up naming a missing required variable", async () => {
    const { child, output } = startMain({ PORT: "0", DATABASE_URL: "" });
    const [code] = await once(child, "exit");
    assert.equal(code, 1);
    assert.equal(output().trim(), "catalog: config: DATABASE_URL is required but not set");
  });
});
