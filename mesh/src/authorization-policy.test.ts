import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callersOf, serviceNames, services } from "@meshmart/topology";
import {
  allowPrincipals,
  databaseClients,
  denyByDefault,
  ingressPrincipal,
  kafkaClients,
  nameLabel,
  serviceAuthorizationPolicy,
} from "./authorization-policy.ts";
import { meshOptions } from "./mesh-options.ts";

const options = meshOptions();

function principalsOf(policy: ReturnType<typeof allowPrincipals>): string[] {
  return (policy.spec?.rules ?? []).flatMap((r) => (r.from ?? []).flatMap((f) => f.source?.principals ?? [])).sort();
}

describe("denyByDefault", () => {
  it("is the allow-nothing policy: an empty spec, no selector, no rules, ALLOW by default", () => {
    const policy = denyByDefault(options);
    policy.validate();
    assert.deepEqual(policy.spec, {});
    assert.equal(policy.metadata?.namespace, "meshmart");
  });
});

describe("serviceAuthorizationPolicy", () => {
  for (const name of serviceNames) {
    it(`${name}: allows exactly its callers from the topology`, () => {
      const policy = serviceAuthorizationPolicy(services[name], options);
      policy.validate();
      assert.equal(policy.spec?.action, "ALLOW");
      assert.deepEqual(policy.spec?.selector?.matchLabels, { [nameLabel]: name });
      const expected = callersOf(name).map((caller) => `cluster.local/ns/meshmart/sa/${caller}`);
      if (name === "gateway") expected.push("cluster.local/ns/istio-ingress/sa/istio-ingressgateway");
      assert.deepEqual(principalsOf(policy), expected.sort());
    });
  }

  it("a service nobody calls gets a policy with no rules, which matches nothing", () => {
    assert.deepEqual(callersOf("notifications"), []);
    const policy = serviceAuthorizationPolicy(services.notifications, options);
    assert.equal(policy.spec?.rules, undefined);
    assert.equal(policy.spec?.action, "ALLOW");
  });

  it("adds extra principals (e.g. a Prometheus scraping through the mesh)", () => {
    const policy = serviceAuthorizationPolicy(services.catalog, options, ["cluster.local/ns/monitoring/sa/prometheus"]);
    assert.ok(principalsOf(policy).includes("cluster.local/ns/monitoring/sa/prometheus"));
  });

  it("follows the namespace, trust domain and ingress identity", () => {
    const custom = meshOptions({ namespace: "shop", trustDomain: "example.org", ingress: { namespace: "edge", serviceAccount: "gw" } });
    assert.equal(ingressPrincipal(custom), "example.org/ns/edge/sa/gw");
    assert.deepEqual(principalsOf(serviceAuthorizationPolicy(services.catalog, custom)), [
      "example.org/ns/shop/sa/gateway",
      "example.org/ns/shop/sa/orders",
    ]);
  });
});

describe("data-plane clients", () => {
  it("derive from the topology", () => {
    assert.deepEqual(databaseClients(), serviceNames.filter((n) => services[n].database));
    assert.deepEqual(
      kafkaClients(),
      serviceNames.filter((n) => services[n].produces.length + services[n].consumes.length + services[n].invalidatesFrom.length > 0),
    );
    assert.ok(kafkaClients().includes("gateway"), "the gateway reads catalog's events for its product cache");
  });
});
