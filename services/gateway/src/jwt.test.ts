import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { ConfigError } from "@meshmart/platform";
import { createTokenVerifier, InvalidTokenError, issueToken, jwtSettings, parseJwks, parseTtl } from "./jwt.ts";

const settings = { secret: "s".repeat(32), issuer: "meshmart", audience: "meshmart-api" };

describe("jwt", () => {
  const verify = createTokenVerifier(settings);

  it("verifies the tokens it issues", async () => {
    const token = await issueToken(settings, { subject: "customer-1", ttl: "15m" });
    assert.deepEqual(await verify(token), { subject: "customer-1" });
  });

  it("tolerates a little clock skew, not more", async () => {
    const now = Math.floor(Date.now() / 1000);
    const justExpired = await issueToken(settings, { subject: "c", ttl: 60, issuedAt: now - 70 });
    assert.deepEqual(await verify(justExpired), { subject: "c" });
    const expired = await issueToken(settings, { subject: "c", ttl: 60, issuedAt: now - 120 });
    await assert.rejects(verify(expired), (err: Error) => err instanceof InvalidTokenError && /expired/.test(err.message));
  });

  it("refuses another issuer's settings", async () => {
    const token = await issueToken({ ...settings, audience: "other" }, { subject: "c", ttl: 60 });
    await assert.rejects(verify(token), /aud/);
  });

  /** A validly signed token with exactly these claims (on top of iss, aud and exp). */
  const signed = (claims: JWTPayload) =>
    new SignJWT({ iss: settings.issuer, aud: settings.audience, exp: Math.floor(Date.now() / 1000) + 600, ...claims })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(settings.secret));
  const refused = (reason: RegExp) => (err: Error) => err instanceof InvalidTokenError && reason.test(err.message);

  it("refuses a subject that is not a non-empty string", async () => {
    for (const sub of [42, "", true, { id: "c" }, ["c"], "x".repeat(257)]) {
      await assert.rejects(verify(await signed({ sub } as unknown as JWTPayload)), refused(/sub/), JSON.stringify(sub));
    }
  });

  it("refuses a token issued or valid only in the future, beyond the clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    await assert.rejects(verify(await signed({ sub: "c", iat: now + 86_400 })), refused(/iat/));
    await assert.rejects(verify(await signed({ sub: "c", nbf: now + 86_400 })), refused(/nbf/));
    await assert.rejects(verify(await signed({ sub: "c", iat: "yesterday" } as unknown as JWTPayload)), refused(/iat/));
    assert.deepEqual(await verify(await signed({ sub: "c", iat: now + 10, nbf: now + 10 })), { subject: "c" }, "within the skew");
  });

  it("parses lifetimes", () => {
    assert.equal(parseTtl("90"), 90);
    assert.equal(parseTtl("15m"), 900);
    assert.equal(parseTtl("1h"), 3600);
    assert.equal(parseTtl("7d"), 604_800);
    for (const bad of ["", "0", "-1h", "1w", "h"]) assert.throws(() => parseTtl(bad), /ttl/);
  });
});

describe("jwt with the issuer's public keys (JWT_JWKS)", () => {
  const issuer = { issuer: "meshmart", audience: "meshmart-api" };
  const keyPair = async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
    return { privateKey, jwks: { keys: [jwk] }, jwk };
  };
  const sign = (key: Parameters<SignJWT["sign"]>[0], alg: string, claims: Record<string, unknown> = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg, kid: "k1" }).setSubject("customer-1").setIssuer("meshmart").setAudience("meshmart-api").setIssuedAt().setExpirationTime("5m").sign(key);

  it("accepts an ES256 token from the key set's private key", async () => {
    const { privateKey, jwks } = await keyPair();
    const verify = createTokenVerifier({ ...issuer, jwks });
    assert.deepEqual(await verify(await sign(privateKey, "ES256")), { subject: "customer-1" });
  });

  it("refuses a token of another key, and an HS256 token keyed with the public key (algorithm confusion)", async () => {
    const [ours, theirs] = [await keyPair(), await keyPair()];
    const verify = createTokenVerifier({ ...issuer, jwks: ours.jwks });
    await assert.rejects(verify(await sign(theirs.privateKey, "ES256")), /signature is invalid/);
    const confused = await sign(new TextEncoder().encode(JSON.stringify(ours.jwk)), "HS256");
    await assert.rejects(verify(confused), /must be signed with ES256, RS256, EdDSA/);
  });

  it("reads JWT_JWKS from the config: public keys only, and exactly one of JWT_SECRET and JWT_JWKS", async () => {
    const { jwk } = await keyPair();
    assert.deepEqual(parseJwks(JSON.stringify({ keys: [jwk] })), { keys: [jwk] });
    assert.throws(() => parseJwks(JSON.stringify({ keys: [{ ...jwk, d: "private" }] })), /public keys only/);
    assert.throws(() => parseJwks(JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }] })), /public keys only/);
    assert.throws(() => parseJwks("{"), /JSON Web Key Set/);
    const base = { JWT_ISSUER: "meshmart", JWT_AUDIENCE: "meshmart-api" };
    assert.throws(() => jwtSettings(base), ConfigError);
    assert.throws(() => jwtSettings({ ...base, JWT_SECRET: "s".repeat(32), JWT_JWKS: { keys: [jwk] } }), ConfigError);
    assert.ok(jwtSettings({ ...base, JWT_JWKS: { keys: [jwk] } }).jwks);
  });
});
