// The local token command: a token on stdout that the gateway accepts, and a
// one-line error without a secret.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { customerIdFor } from "./customer-id.ts";
import { createTokenVerifier } from "./jwt.ts";

const script = fileURLToPath(new URL("./issue-token.ts", import.meta.url));
const secret = "an-issue-token-test-secret-of-32-chars+";

function run(args: string[], env: Record<string, string | undefined>) {
  const { JWT_SECRET: _secret, JWT_ISSUER: _issuer, JWT_AUDIENCE: _audience, ...base } = process.env;
  return spawnSync(process.execPath, ["--import", "tsx", script, ...args], { env: { ...base, ...env }, encoding: "utf8" });
}

describe("issue-token", () => {
  it("prints a token the gateway's settings accept, for the given subject and lifetime", async () => {
    const result = run(["--sub", "customer-1", "--ttl", "2h"], { JWT_SECRET: secret, JWT_ISSUER: "iss-x" });
    assert.equal(result.status, 0, result.stderr);
    const token = result.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(result.stderr, new RegExp(customerIdFor("customer-1")));
    const verify = createTokenVerifier({ secret, issuer: "iss-x", audience: "meshmart-api" });
    assert.deepEqual(await verify(token), { subject: "customer-1" });
    const { exp, iat } = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { exp: number; iat: number };
    assert.equal(exp - iat, 7200);
  });

  it("fails with one line when the secret is missing or weak, or --sub is missing", () => {
    const missing = run(["--sub", "c"], {});
    assert.equal(missing.status, 2);
    assert.match(missing.stderr.trim(), /^issue-token: config: JWT_SECRET is required but not set \(.*\)$/);
    const weak = run(["--sub", "c"], { JWT_SECRET: "short" });
    assert.equal(weak.status, 2);
    assert.match(weak.stderr, /JWT_SECRET must be at least 32 characters/);
    const noSub = run([], { JWT_SECRET: secret });
    assert.equal(noSub.status, 2);
    assert.match(noSub.stderr, /--sub is required/);
  });
});
