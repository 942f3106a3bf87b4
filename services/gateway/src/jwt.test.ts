import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SignJWT, type JWTPayload } from "jose";
import { createTokenVerifier, InvalidTokenError, issueToken, parseTtl } from "./jwt.ts";

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
