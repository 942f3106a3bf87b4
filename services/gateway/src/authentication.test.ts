// Bearer tokens at the gateway: what is refused (401 with a WWW-Authenticate
// challenge, before any backend is called) and what is let through.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { importJWK, SignJWT } from "jose";
import { devToken, generateSigningKey, type SigningKey } from "@meshmart/dev-identity";
import { defaultAudience, defaultIssuer } from "@meshmart/dev-identity/dev-token";
import { problemOf, startTestGateway, type TestGateway } from "./test-gateway.ts";

describe("authentication", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
    gw.history.listOrderHistory = () => ({ orders: [], nextPageToken: "" });
    gw.catalog.listProducts = () => ({ products: [], nextPageToken: "" });
  });
  after(() => gw.stop());
  beforeEach(() => (gw.calls.length = 0));

  const listOrders = (authorization?: string) =>
    gw.request("/api/v1/orders", { headers: authorization ? { authorization } : {} });

  const placeOrder = (authorization?: string) =>
    gw.request("/api/v1/orders", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "k", ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ items: [{ productId: "0b5c6a43-8c1f-4d6e-9a2b-3c4d5e6f7a81", quantity: 1 }] }),
    });

  /** The issuer's token for `sub`, with other claims on top (or instead). */
  const sign = (subject: string, options: { issuer?: string; audience?: string; now?: number; ttlSeconds?: number; key?: SigningKey } = {}) =>
    devToken({ subject, ttlSeconds: 600, key: gw.signingKey, ...options });
  /** Validly signed by the issuer's key, with exactly these claims (of whatever type) on top of iss, aud and exp. */
  const signRaw = async (claims: Record<string, unknown>, alg = "ES256", key?: Uint8Array) =>
    new SignJWT({ iss: defaultIssuer, aud: defaultAudience, exp: Math.floor(Date.now() / 1000) + 600, ...claims })
      .setProtectedHeader({ alg, kid: gw.signingKey.kid })
      .sign(key ?? (await importJWK(gw.signingKey.privateJwk, "ES256")));

  it("refuses a request without a token: 401, a Bearer challenge, backend never called", async () => {
    for (const res of [await listOrders(), await placeOrder()]) {
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="meshmart"');
      const problem = await problemOf(res);
      assert.equal(problem.code, "unauthenticated");
      assert.equal(problem.title, "Unauthorized");
    }
    assert.equal(gw.calls.length, 0);
  });

  const badTokens: [string, () => Promise<string>, RegExp][] = [
    ["garbage", async () => "Bearer not.a.jwt", /malformed/],
    ["another scheme", async () => "Basic dXNlcjpwYXNz", /Bearer/],
    ["a token of another key", async () => `Bearer ${await sign("c", { key: generateSigningKey() })}`, /signature|signing key/],
    ["an expired token", async () => `Bearer ${await sign("c", { ttlSeconds: 60, now: Math.floor(Date.now() / 1000) - 3600 })}`, /expired/],
    ["a wrong issuer", async () => `Bearer ${await sign("c", { issuer: "someone-else" })}`, /iss/],
    ["a wrong audience", async () => `Bearer ${await sign("c", { audience: "another-api" })}`, /aud/],
    ["no subject", async () => `Bearer ${await signRaw({})}`, /sub/],
    ["a numeric subject", async () => `Bearer ${await signRaw({ sub: 42 })}`, /sub/],
    ["an empty subject", async () => `Bearer ${await signRaw({ sub: "" })}`, /sub/],
    ["a token issued a day in the future", async () => `Bearer ${await signRaw({ sub: "c", iat: Math.floor(Date.now() / 1000) + 86_400 })}`, /iat/],
    ["alg none", async () => `Bearer ${unsigned({ sub: "c", iss: defaultIssuer, aud: defaultAudience, exp: 9_999_999_999 })}`, /malformed|ES256/],
    [
      "an HS256 token keyed with the issuer's public key (algorithm confusion)",
      async () => `Bearer ${await signRaw({ sub: "c" }, "HS256", new TextEncoder().encode(gw.signingKey.jwks))}`,
      /must be signed with ES256, RS256, EdDSA/,
    ],
  ];
  for (const [name, authorization, detail] of badTokens) {
    it(`refuses ${name}: 401 invalid_token, backend never called`, async () => {
      const header = await authorization();
      for (const res of [await listOrders(header), await placeOrder(header)]) {
        assert.equal(res.status, 401);
        const problem = await problemOf(res);
        assert.match(problem.detail, detail);
        const challenge = res.headers.get("www-authenticate") ?? "";
        assert.match(challenge, /^Bearer realm="meshmart"/);
        if (header.startsWith("Bearer")) assert.match(challenge, /error="invalid_token"/);
      }
      assert.equal(gw.calls.length, 0);
    });
  }

  it("refuses a bad token even on a public route, rather than treating it as anonymous", async () => {
    const res = await gw.request("/api/v1/products", { headers: { authorization: "Bearer nope" } });
    assert.equal(res.status, 401);
    assert.equal(gw.calls.length, 0);
  });

  it("lets public reads through without a token, and customer routes with a valid one", async () => {
    assert.equal((await gw.request("/api/v1/products")).status, 200);
    assert.equal((await listOrders(`Bearer ${await gw.token()}`)).status, 200);
    assert.equal((await listOrders(`bearer ${await gw.token()}`)).status, 200, "the scheme is case-insensitive");
  });
});

/** A token with alg "none": must never be accepted. */
function unsigned(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}
