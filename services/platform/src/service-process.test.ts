// A service as a real process, started the way every main.ts starts it
// (runService): graceful shutdown on SIGTERM (a request in flight finishes, a
// long-lived stream ends at once, exit 0) and a clear one-line failure for a
// bad or missing setting. Each service's own main.test.ts then only checks
// that its entry point is wired.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { eventually, exitOf, freePort as kernelFreePort } from "./test-support.ts";

const main = fileURLToPath(new URL("./test-service-main.ts", import.meta.url));

function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { ...process.env, LOG_LEVEL: "info", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return { child, output: () => output };
}

const freePort = async () => String(await kernelFreePort());

describe("a service process (runService)", () => {
  it("finishes a slow request in flight on SIGTERM, ends a long-lived stream at once, then exits 0", async () => {
    const port = await freePort();
    const { child, output } = startMain({ PORT: port, TEST_SLOW_MS: "1500", SHUTDOWN_TIMEOUT_MS: "30000" });
    after(() => child.kill("SIGKILL"));
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), { what: "ready" });

    const stream = await fetch(`${url}/stream`);
    const streamBody = stream.text();
    const started = Date.now();
    const slow = fetch(`${url}/slow`).then((r) => r.json() as Promise<{ slept: number }>);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the request is now in flight
    const exited = exitOf(child);
    child.kill("SIGTERM");

    assert.deepEqual(await slow, { slept: 1500 });
    assert.ok(Date.now() - started >= 1400, "the request ran its full time");
    assert.equal(await streamBody, "open\ndrained\n");
    const code = await exited;
    assert.equal(code, 0, output());
    assert.ok(Date.now() - started < 15_000, "no waiting out the 30 s shutdown budget");
    assert.match(output(), /"msg":"draining: readiness is now false"/);
    assert.match(output(), /"msg":"stopped"/);
  });

  it("fails start-up with one clear line naming a bad variable", async () => {
    const { child, output } = startMain({ PORT: "eighty", TEST_SLOW_MS: "0" });
    const code = await exitOf(child);
    assert.equal(code, 1);
    assert.equal(output().trim(), 'gateway: config: PORT must be an integer between 0 and 65535 (got "eighty")');
  });

  it("fails start-up naming a missing required variable", async () => {
    const { child, output } = startMain({ PORT: "0", TEST_SLOW_MS: "" });
    const code = await exitOf(child);
    assert.equal(code, 1);
    assert.equal(output().trim(), "gateway: config: TEST_SLOW_MS is required but not set");
  });
});
