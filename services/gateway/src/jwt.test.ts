import assert from "node:assert/strict";
import { describe, it } from "node:test";
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

  it("parses lifetimes", () => {
    assert.equal(parseTtl("90"), 90);
    assert.equal(parseTtl("15m"), 900);
    assert.equal(parseTtl("1h"), 3600);
    assert.equal(parseTtl("7d"), 604_800);
    for (const bad of ["", "0", "-1h", "1w", "h"]) assert.throws(() => parseTtl(bad), /ttl/);
  });
});
