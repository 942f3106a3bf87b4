// The gateway entry point as a real process: it needs the token issuer's
// public keys, and it serves the REST API until SIGTERM, then exits 0.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { generateSigningKey } from "@meshmart/dev-identity";
import { eventually, freePort } from "@meshmart/platform/test-support";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const { JWT_JWKS: _jwks, ...base } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { ...base, LOG_LEVEL: "info", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

describe("gateway process", () => {
  it("refuses to start without the issuer's public keys, in one line", async () => {
    const { child, output } = startMain({ PORT: "0" });
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.equal(output().trim(), "gateway: config: JWT_JWKS is required but not set");
  });

  it("refuses a key set with a private key, and never echoes it", async () => {
    const { privateJwk } = generateSigningKey();
    const { child, output } = startMain({ PORT: "0", JWT_JWKS: JSON.stringify({ keys: [privateJwk] }) });
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.match(output().trim(), /^gateway: config: JWT_JWKS must hold public keys only/);
    assert.doesNotMatch(output(), new RegExp(privateJwk.d!), "a private key is never echoed");
  });

  it("serves without a database or Kafka, and exits 0 on SIGTERM", async () => {
    const port = String(await freePort());
    const { child, output } = startMain({ PORT: port, JWT_JWKS: generateSigningKey().jwks });
    after(() => child.kill("SIGKILL"));
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), { what: "gateway ready" });
    assert.equal((await fetch(`${url}/api/v1/openapi.json`)).status, 200);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0, output());
  });
});
