import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { services } from "@meshmart/topology";
import { meshOptions } from "@meshmart/mesh/mesh-options";
import { serviceVirtualService } from "@meshmart/mesh/virtual-service";
// The fault route as data. The calls the target makes are tested against a real API server
// (cdk8s/test/apiserver.test.ts) and real pods (scripts/cluster/real-cluster.test.ts).
import { catalogFaultRoute, faultedCatalogRoutes, faultRouteName } from "./kind-target.ts";

const fault = { kind: "mesh-abort" as const, methods: ["ListProducts", "BatchGetProducts"], fraction: 0.3 };
const deployedHttp = () =>
  (serviceVirtualService(services.catalog, meshOptions()).toJSON() as { spec: { http: Array<Record<string, unknown>> } }).spec.http;

describe("the catalog-errors fault route", () => {
  it("aborts 30% of the two methods with 503, on their exact paths, with catalog's destination and timeout and no retries", () => {
    const route = catalogFaultRoute(fault, "meshmart");
    assert.equal(route.name, faultRouteName);
    assert.deepEqual(route.fault, { abort: { percentage: { value: 30 }, httpStatus: 503 } });
    assert.deepEqual(route.match, [
      { uri: { exact: "/meshmart.catalog.v1.CatalogService/ListProducts" } },
      { uri: { exact: "/meshmart.catalog.v1.CatalogService/BatchGetProducts" } },
    ]);
    assert.deepEqual(route.route, [{ destination: { host: "catalog.meshmart.svc.cluster.local", port: { number: 8080 } } }]);
    assert.equal(route.timeout, "3s");
    assert.equal(route.retries, undefined);
  });

  it("goes first, keeps the deployed routes after it, validates, and replaces a fault route left by an interrupted run", () => {
    const deployed = deployedHttp();
    const http = faultedCatalogRoutes(deployed, fault, "meshmart");
    assert.equal(http[0]!.name, faultRouteName);
    assert.deepEqual(http.slice(1), deployed);
    const again = faultedCatalogRoutes(http, fault, "meshmart");
    assert.equal(again.filter((r) => r.name === faultRouteName).length, 1);
  });
});
