import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { ingressGateway, ingressRequestAuthentication, ingressVirtualService } from "./ingress.ts";
import { hmacJwks } from "./jwks.ts";
import { meshOptions } from "./mesh-options.ts";

const options = meshOptions();

describe("ingress", () => {
  it("Gateway selects the ingress gateway pods on port 80", () => {
    const gateway = ingressGateway(options);
    gateway.validate();
    assert.deepEqual(gateway.spec?.selector, { istio: "ingressgateway" });
    assert.deepEqual(gateway.spec?.servers?.[0]?.port, { number: 80, name: "http", protocol: "HTTP" });
  });

  it("VirtualService sends everything to the gateway service with its timeout and no retries", () => {
    const vs = ingressVirtualService(options);
    vs.validate();
    assert.deepEqual(vs.spec?.gateways, ["meshmart-ingress"]);
    const route = vs.spec?.http?.[0];
    assert.equal(route?.route?.[0]?.destination?.host, "gateway.meshmart.svc.cluster.local");
    assert.equal(route?.timeout, "10s");
    assert.deepEqual(route?.retries, { attempts: 0 });
  });

  it("RequestAuthentication lives with the ingress gateway and checks issuer, audience and the HS256 key", () => {
    const ra = ingressRequestAuthentication(options);
    ra.validate();
    assert.equal(ra.metadata?.namespace, "istio-ingress");
    assert.deepEqual(ra.spec?.selector?.matchLabels, { istio: "ingressgateway" });
    const rule = ra.spec?.jwtRules?.[0];
    assert.equal(rule?.issuer, options.jwt.issuer);
    assert.deepEqual(rule?.audiences, [options.jwt.audience]);
    assert.equal(rule?.forwardOriginalToken, true);
    assert.equal(rule?.jwks, hmacJwks(options.jwt.secret, options.jwt.keyId));
  });
});

describe("hmacJwks", () => {
  it("carries the secret's bytes, so a token signed with JWT_SECRET verifies with the JWK", () => {
    const secret = "a-development-secret-of-enough-length!";
    const jwks = JSON.parse(hmacJwks(secret, "k1")) as { keys: { kty: string; alg: string; kid: string; k: string }[] };
    const key = jwks.keys[0]!;
    assert.deepEqual([key.kty, key.alg, key.kid], ["oct", "HS256", "k1"]);
    const unsigned = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0";
    const signedWithSecret = createHmac("sha256", secret).update(unsigned).digest("base64url");
    const signedWithJwk = createHmac("sha256", Buffer.from(key.k, "base64url")).update(unsigned).digest("base64url");
    assert.equal(signedWithJwk, signedWithSecret);
  });

  it("refuses short secrets", () => {
    assert.throws(() => hmacJwks("short", "k"));
  });
});
