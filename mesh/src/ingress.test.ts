import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ingressGateway, ingressRequestAuthentication, ingressVirtualService } from "./ingress.ts";
import { meshOptions } from "./mesh-options.ts";

const publicJwks = JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", kid: "k1", alg: "ES256" }] });
const options = meshOptions({ jwt: { jwks: publicJwks } });

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

  it("RequestAuthentication lives with the ingress gateway and checks issuer, audience and the issuer's public keys", () => {
    const ra = ingressRequestAuthentication(options);
    ra.validate();
    assert.equal(ra.metadata?.namespace, "istio-ingress");
    assert.deepEqual(ra.spec?.selector?.matchLabels, { istio: "ingressgateway" });
    const rule = ra.spec?.jwtRules?.[0];
    assert.equal(rule?.issuer, options.jwt.issuer);
    assert.deepEqual(rule?.audiences, [options.jwt.audience]);
    assert.equal(rule?.forwardOriginalToken, true);
    assert.equal(rule?.jwks, publicJwks);
  });
});
