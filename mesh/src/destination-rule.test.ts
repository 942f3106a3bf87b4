import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serviceNames, services } from "@meshmart/topology";
import { serviceDestinationRule } from "./destination-rule.ts";
import { meshOptions } from "./mesh-options.ts";

describe("serviceDestinationRule", () => {
  const options = meshOptions();
  for (const name of serviceNames) {
    it(`${name}: ISTIO_MUTUAL, pool limits and outlier detection all explicit`, () => {
      const dr = serviceDestinationRule(services[name], options);
      dr.validate();
      const policy = dr.spec?.trafficPolicy;
      assert.equal(dr.spec?.host, `${name}.meshmart.svc.cluster.local`);
      assert.equal(policy?.tls?.mode, "ISTIO_MUTUAL");
      assert.deepEqual(policy?.connectionPool?.tcp, { maxConnections: 100, connectTimeout: "1s" });
      assert.deepEqual(policy?.connectionPool?.http, {
        http1MaxPendingRequests: 100,
        http2MaxRequests: 1000,
        maxRequestsPerConnection: 0,
        maxRetries: 10,
        idleTimeout: "60s",
      });
      assert.deepEqual(policy?.outlierDetection, {
        consecutive5xxErrors: 5,
        consecutiveGatewayErrors: 3,
        interval: "5s",
        baseEjectionTime: "30s",
        maxEjectionPercent: 50,
        minHealthPercent: 0,
      });
    });
  }

  it("takes overrides", () => {
    const dr = serviceDestinationRule(services.catalog, meshOptions({ outlierDetection: { maxEjectionPercent: 100 } }));
    assert.equal(dr.spec?.trafficPolicy?.outlierDetection?.maxEjectionPercent, 100);
    assert.equal(dr.spec?.trafficPolicy?.outlierDetection?.consecutive5xxErrors, 5);
  });
});
