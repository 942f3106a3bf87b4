// The OpenAPI document is true to the router: the same routes, the same path
// parameters, security exactly where a token is required, and every
// reference resolves. And it is what GET /api/v1/openapi.json serves.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pageTokenPatterns } from "@meshmart/platform";
import type { Backends } from "./backends.ts";
import { openApiDocument } from "./openapi.ts";
import { gatewayRoutes } from "./routes.ts";
import { startTestGateway, type TestGateway } from "./test-gateway.ts";

const routes = gatewayRoutes({} as Backends);
const httpMethods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

interface Operation {
  parameters?: { name: string; in: string; required?: boolean }[];
  security?: unknown[];
  responses: Record<string, unknown>;
}

const documented = Object.entries(openApiDocument.paths as unknown as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => httpMethods.includes(method))
    .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, path, operation })),
);

describe("OpenAPI document", () => {
  it("documents every route, and routes everything it documents", () => {
    const routed = routes.map((route) => `${route.method} ${route.path}`).sort();
    assert.deepEqual(documented.map((d) => d.key).sort(), routed);
  });

  it("declares each route's path parameters and asks for a token exactly where the route needs one", () => {
    for (const route of routes) {
      const { operation } = documented.find((d) => d.key === `${route.method} ${route.path}`)!;
      const inPath = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name).sort();
      assert.deepEqual(declared, inPath, route.path);
      assert.equal(Boolean(operation.security), route.authenticated, `${route.method} ${route.path} security`);
      if (route.authenticated) assert.ok(operation.responses["401"], `${route.method} ${route.path} documents 401`);
    }
  });

  it("documents on every route the answers the server gives before any route runs, and a bad token's 401", () => {
    for (const { key, operation } of documented) {
      for (const status of ["400", "401", "404", "405", "408", "413", "429", "431", "500", "503", "504"]) {
        assert.ok(operation.responses[status], `${key} documents ${status}`);
      }
    }
  });

  it("says what a page token is: the pattern the backends accept", () => {
    const tokenPattern = (key: string) =>
      (documented.find((d) => d.key === key)!.operation.parameters as unknown as { name: string; schema: { pattern?: string } }[]).find(
        (p) => p.name === "page_token",
      )?.schema.pattern;
    assert.equal(tokenPattern("GET /api/v1/products"), `^$|${pageTokenPatterns.id.source}`);
    assert.equal(tokenPattern("GET /api/v1/orders"), `^$|${pageTokenPatterns.createdAndId.source}`);
  });

  it("is OpenAPI 3.1 and every $ref resolves", () => {
    assert.equal(openApiDocument.openapi, "3.1.0");
    const refs = JSON.stringify(openApiDocument).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const pointer = ref.slice('"$ref":"#/'.length, -1).split("/");
      let node: unknown = openApiDocument;
      for (const part of pointer) node = (node as Record<string, unknown>)[part];
      assert.ok(node, `${ref} resolves`);
    }
  });

  describe("served", () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway();
    });
    after(() => gw.stop());

    it("at GET /api/v1/openapi.json without a token", async () => {
      const res = await gw.request("/api/v1/openapi.json");
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(openApiDocument)));
    });
  });
});
