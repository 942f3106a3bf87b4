import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWTPayload } from "jose";
import { devToken, generateSigningKey } from "@meshmart/dev-identity";
import { createTokenVerifier, InvalidTokenError, parseJwks, type PublicKeySet } from "./jwt.ts";

const issuer = { issuer: "meshmart", audience: "meshmart-api" };
const key = generateSigningKey();
const jwks = JSON.parse(key.jwks) as PublicKeySet;
const verify = createTokenVerifier({ ...issuer, jwks });
const refused = (reason: RegExp) => (err: Error) => err instanceof InvalidTokenError && reason.test(err.message);

/** Signed with the issuer's key, with exactly these claims (of whatever type) on top of iss, aud and exp. */
const signed = async (claims: JWTPayload) =>
  new SignJWT({ iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 600, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: key.kid })
    .sign(await importJWK(key.privateJwk, "ES256"));

describe("jwt", () => {
  it("verifies the issuer's tokens", async () => {
    assert.deepEqual(await verify(await devToken({ subject: "customer-1", ttlSeconds: 900, key })), { subject: "customer-1" });
  });

  it("tolerates a little clock skew, not more", async () => {
    const now = Math.floor(Date.now() / 1000);
    const justExpired = await devToken({ subject: "c", ttlSeconds: 60, now: now - 70, key });
    assert.deepEqual(await verify(justExpired), { subject: "c" });
    const expired = await devToken({ subject: "c", ttlSeconds: 60, now: now - 120, key });
    await assert.rejects(verify(expired), refused(/expired/));
  });

  it("refuses another issuer or audience", async () => {
    await assert.rejects(verify(await devToken({ subject: "c", ttlSeconds: 60, key, audience: "other" })), refused(/aud/));
    await assert.rejects(verify(await devToken({ subject: "c", ttlSeconds: 60, key, issuer: "other" })), refused(/iss/));
  });

  it("refuses a subject that is not a non-empty string", async () => {
    for (const sub of [42, "", true, { id: "c" }, ["c"], "x".repeat(257)]) {
      await assert.rejects(verify(await signed({ sub } as unknown as JWTPayload)), refused(/sub/), JSON.stringify(sub));
    }
    await assert.rejects(verify(await signed({})), refused(/sub/), "no sub at all");
  });

  it("refuses a token issued or valid only in the future, beyond the clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    await assert.rejects(verify(await signed({ sub: "c", iat: now + 86_400 })), refused(/iat/));
    await assert.rejects(verify(await signed({ sub: "c", nbf: now + 86_400 })), refused(/nbf/));
    await assert.rejects(verify(await signed({ sub: "c", iat: "yesterday" } as unknown as JWTPayload)), refused(/iat/));
    assert.deepEqual(await verify(await signed({ sub: "c", iat: now + 10, nbf: now + 10 })), { subject: "c" }, "within the skew");
  });

  it("refuses a token of another key, with another kid or with ours", async () => {
    await assert.rejects(verify(await devToken({ subject: "c", ttlSeconds: 60, key: generateSigningKey() })), refused(/signing key is not known/));
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: key.kid }).setSubject("c").setIssuer(issuer.issuer).setAudience(issuer.audience).setExpirationTime("5m").sign(privateKey);
    await assert.rejects(verify(forged), refused(/signature is invalid/));
  });

  it("refuses alg none, and an HS256 token keyed with the issuer's public key (algorithm confusion)", async () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const none = `${part({ alg: "none", typ: "JWT" })}.${part({ sub: "c", ...issuer, exp: 9_999_999_999 })}.`;
    await assert.rejects(verify(none), refused(/malformed|must be signed/));
    for (const secret of [key.jwks, JSON.stringify(jwks.keys[0])]) {
      const confused = await new SignJWT({}).setProtectedHeader({ alg: "HS256", kid: key.kid }).setSubject("c").setIssuer(issuer.issuer).setAudience(issuer.audience).setExpirationTime("5m").sign(new TextEncoder().encode(secret));
      await assert.rejects(verify(confused), refused(/must be signed with ES256, RS256, EdDSA/));
    }
  });

  it("reads JWT_JWKS: public keys only", async () => {
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
    assert.deepEqual(parseJwks(JSON.stringify({ keys: [jwk] })), { keys: [jwk] });
    assert.throws(() => parseJwks(JSON.stringify({ keys: [{ ...jwk, d: "private" }] })), /public keys only/);
    assert.throws(() => parseJwks(JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }] })), /public keys only/);
    assert.throws(() => parseJwks(JSON.stringify({ keys: [] })), /at least one key/);
    assert.throws(() => parseJwks("{"), /JSON Web Key Set/);
  });
});
