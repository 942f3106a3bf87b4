// The one token issuer: key pairs kept per installation, tokens that verify
// against the published public set only, and the TTL syntax of `make token`.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { defaultAudience, defaultIssuer, devToken, parseTtl } from "./dev-token.ts";
import { ensureSigningKey, generateSigningKey, keyDirectory, signingKeyFromPrivateJwk } from "./signing-key.ts";

const scratch = mkdtempSync(path.join(tmpdir(), "meshmart-dev-identity-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("parseTtl", () => {
  it("reads seconds, minutes, hours and days", () => {
    assert.equal(parseTtl("90"), 90);
    assert.equal(parseTtl("90s"), 90);
    assert.equal(parseTtl("15m"), 900);
    assert.equal(parseTtl(" 1h "), 3600);
    assert.equal(parseTtl("7d"), 604_800);
  });

  it("refuses zero, negative, fractional and unknown units, quoting the input", () => {
    for (const bad of ["0", "-5", "1.5h", "1w", "", "h"]) {
      assert.throws(() => parseTtl(bad), new RegExp(`ttl must be a positive duration .*\\(got "${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\)`));
    }
  });
});

describe("signing keys", () => {
  it("creates a key pair once (private key mode 0600) and returns the same one after", () => {
    const dir = path.join(scratch, "install-a");
    const first = ensureSigningKey(dir);
    assert.equal(statSync(path.join(dir, "private.jwk")).mode & 0o777, 0o600);
    assert.equal(readFileSync(path.join(dir, "jwks.json"), "utf8").trim(), first.jwks);
    assert.equal(ensureSigningKey(dir).kid, first.kid);
    assert.notEqual(ensureSigningKey(path.join(scratch, "install-b")).kid, first.kid);
  });

  it("publishes the public key only", () => {
    const { keys } = JSON.parse(generateSigningKey().jwks) as { keys: Array<Record<string, unknown>> };
    assert.equal(keys.length, 1);
    assert.ok(!("d" in keys[0]!), "no private part");
    assert.equal(keys[0]!.alg, "ES256");
  });

  it("refuses a key that is not a private P-256 key, and a directory name that would escape .local/keys", () => {
    const { d: _private, ...publicOnly } = generateSigningKey().privateJwk;
    assert.throws(() => signingKeyFromPrivateJwk(publicOnly), /private EC P-256/);
    assert.throws(() => keyDirectory("../etc", {}), /not a usable key directory name/);
    assert.equal(keyDirectory("anything", { MESHMART_KEY_DIR: scratch }), scratch);
  });
});

describe("devToken", () => {
  it("signs a token that verifies against the public set, with the gateway's default issuer and audience", async () => {
    const key = generateSigningKey();
    const token = await devToken({ subject: "customer-1", ttlSeconds: 600, key, now: Math.floor(Date.now() / 1000) });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(JSON.parse(key.jwks) as JSONWebKeySet), {
      issuer: defaultIssuer,
      audience: defaultAudience,
      algorithms: ["ES256"],
    });
    assert.equal(payload.sub, "customer-1");
    assert.equal(payload.exp! - payload.iat!, 600);
    assert.equal(protectedHeader.kid, key.kid);
  });

  it("does not verify against another installation's keys", async () => {
    const token = await devToken({ subject: "customer-1", ttlSeconds: 600, key: generateSigningKey() });
    await assert.rejects(jwtVerify(token, createLocalJWKSet(JSON.parse(generateSigningKey().jwks) as JSONWebKeySet)), /no applicable key found|signature verification failed/);
  });
});
