// The routes are the ones gateway.proto declares: every RPC of
// GatewayService is a route with the method and path of its google.api.http
// option, and there is no route that no option declares.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@meshmart/proto/google/api/annotations_pb";
import { GatewayService } from "@meshmart/proto/gateway/v1/gateway_pb";
import type { Backends } from "./backends.ts";
import { gatewayRoutes } from "./routes.ts";

/** "GET /api/v1/products" for each RPC's google.api.http option. */
function declaredRoutes(): string[] {
  return GatewayService.methods.map((method) => {
    assert.ok(hasOption(method, http), `${method.name} has a google.api.http option`);
    const { pattern, additionalBindings } = getOption(method, http);
    assert.equal(additionalBindings.length, 0, `${method.name}: one route per RPC`);
    assert.ok(pattern.case && pattern.case !== "custom", `${method.name}: a standard method and a path`);
    return `${pattern.case.toUpperCase()} ${pattern.value}`;
  });
}

const routed = gatewayRoutes({} as Backends).map((route) => `${route.method} ${route.path}`);

describe("routes and gateway.proto", () => {
  it("routes every route that gateway.proto declares", () => {
    assert.deepEqual(declaredRoutes().filter((route) => !routed.includes(route)), [], "declared, but no route serves it");
  });

  it("has no route that gateway.proto does not declare, and each route once", () => {
    const declared = declaredRoutes();
    assert.deepEqual(routed.filter((route) => !declared.includes(route)), [], "routed, but no google.api.http option declares it");
    assert.equal(new Set(routed).size, routed.length);
  });
});
