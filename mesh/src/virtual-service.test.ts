import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serviceNames, services, type ServiceDescription } from "@meshmart/topology";
import { milliseconds } from "./duration.ts";
import { meshOptions, retryOnSafeFailures } from "./mesh-options.ts";
import { defaultRouteName, perTryTimeoutMs, retryablePaths, retryableRouteName, rpcPath, serviceVirtualService } from "./virtual-service.ts";

const options = meshOptions();

describe("serviceVirtualService", () => {
  for (const name of serviceNames) {
    const service = services[name];
    it(`${name}: retries only the RPCs marked safe, on exact paths`, () => {
      const vs = serviceVirtualService(service, options);
      vs.validate();
      const routes = vs.spec?.http ?? [];
      const last = routes.at(-1);
      assert.ok(last);
      assert.equal(last.name, defaultRouteName);
      assert.equal(last.match, undefined, "the final route catches everything");
      assert.deepEqual(last.retries, { attempts: 0 }, "mesh default retries are switched off on the catch-all");
      const retrying = routes.filter((r) => (r.retries?.attempts ?? 0) > 0);
      if (service.retryableMethods.length === 0 || service.rpcService === undefined) {
        assert.equal(retrying.length, 0);
        return;
      }
      assert.equal(retrying.length, 1);
      const route = retrying[0]!;
      assert.equal(route.name, retryableRouteName);
      const matched = (route.match ?? []).map((m) => {
        assert.equal(m.uri?.prefix, undefined, "no prefix match: it would catch longer method names");
        assert.equal(m.uri?.regex, undefined);
        return m.uri?.exact;
      });
      assert.deepEqual(matched, retryablePaths(service));
      assert.equal(route.retries?.retryOn, retryOnSafeFailures);
      assert.equal(route.retries?.attempts, options.retry.attempts);
    });

    it(`${name}: every route carries the topology timeout, per-try timeouts fit in it`, () => {
      const vs = serviceVirtualService(service, options);
      for (const route of vs.spec?.http ?? []) {
        assert.equal(route.timeout, `${service.timeoutMs / 1000}s`);
        if ((route.retries?.attempts ?? 0) > 0) {
          const perTry = milliseconds(route.retries!.perTryTimeout!);
          assert.ok(perTry * (route.retries!.attempts! + 1) <= service.timeoutMs);
        }
        for (const dest of route.route ?? []) {
          assert.equal(dest.destination?.host, `${name}.meshmart.svc.cluster.local`);
          assert.equal(dest.destination?.port?.number, 8080);
        }
      }
    });
  }

  it("a service with an RPC service but nothing retryable gets only the catch-all", () => {
    const service: ServiceDescription = { ...services.payments, retryableMethods: [] };
    const routes = serviceVirtualService(service, options).spec?.http ?? [];
    assert.deepEqual(
      routes.map((r) => r.name),
      [defaultRouteName],
    );
  });

  it("retries can be switched off mesh-wide", () => {
    const routes = serviceVirtualService(services.orders, meshOptions({ retry: { attempts: 0 } })).spec?.http ?? [];
    assert.ok(routes.every((r) => r.retries?.attempts === 0));
  });

  it("builds Connect/gRPC paths and per-try timeouts", () => {
    assert.equal(rpcPath("meshmart.orders.v1.OrderService", "GetOrder"), "/meshmart.orders.v1.OrderService/GetOrder");
    assert.equal(perTryTimeoutMs(3000, 2), 1000);
    assert.equal(perTryTimeoutMs(5000, 2), 1666);
    assert.deepEqual(retryablePaths(services.gateway), []);
  });
});
