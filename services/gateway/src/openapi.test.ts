// The OpenAPI document the gateway serves: generated from gateway.proto (the
// routes: routes.test.ts), security exactly where a token is required, every
// answer the edge can give on every route, the limits the code enforces, and
// every reference resolves. And it is what GET /api/v1/openapi.json serves.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pageTokenPatterns } from "@meshmart/platform";
import type { Backends } from "./backends.ts";
import { maxBodyBytes } from "./json-body.ts";
import { openApiDocument } from "./openapi.ts";
import { orderStatusNames } from "./order-routes.ts";
import { maxQueryInteger } from "./query.ts";
import { gatewayRoutes } from "./routes.ts";
import { maxStockIds } from "./stock-routes.ts";
import { startTestGateway, type TestGateway } from "./test-gateway.ts";

const routes = gatewayRoutes({} as Backends);
const httpMethods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

interface Schema {
  pattern?: string;
  maximum?: number;
  maxItems?: number;
  enum?: string[];
  examples?: unknown[];
  properties?: Record<string, Schema>;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  security?: unknown[];
  responses: Record<string, { $ref?: string; description?: string; content?: Record<string, unknown> }>;
}

const document = openApiDocument as unknown as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, { description: string; content: Record<string, unknown> }>; securitySchemes: Record<string, unknown> };
};

const documented = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => httpMethods.includes(method))
    .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, path, operation })),
);
const operation = (key: string) => documented.find((d) => d.key === key)!.operation;
const parameter = (key: string, name: string) => operation(key).parameters!.find((p) => p.name === name)!;

/** The response an operation documents for `status`, its $ref followed. */
function response(op: Operation, status: string) {
  const found = op.responses[status];
  return found?.$ref ? document.components.responses[found.$ref.slice("#/components/responses/".length)] : found;
}

describe("OpenAPI document", () => {
  it("documents the routes, and each route's path parameters", () => {
    assert.deepEqual(documented.map((d) => d.key).sort(), routes.map((route) => `${route.method} ${route.path}`).sort());
    for (const route of routes) {
      const inPath = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (operation(`${route.method} ${route.path}`).parameters ?? []).filter((p) => p.in === "path").map((p) => p.name).sort();
      assert.deepEqual(declared, inPath, route.path);
    }
  });

  it("asks for a token exactly where the route needs one, with the bearer scheme", () => {
    assert.deepEqual(document.components.securitySchemes.bearer, {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: (document.components.securitySchemes.bearer as { description: string }).description,
    });
    for (const route of routes) {
      const op = operation(`${route.method} ${route.path}`);
      assert.equal(Boolean(op.security?.length), route.authenticated, `${route.method} ${route.path} security`);
      assert.deepEqual(op.responses["401"], { $ref: `#/components/responses/${route.authenticated ? "Unauthorized" : "BadToken"}` });
    }
  });

  it("documents on every route the answers the server gives before or around any route, as problem bodies", () => {
    for (const { key, operation: op } of documented) {
      for (const status of ["400", "401", "404", "405", "408", "413", "429", "431", "500", "503", "504"]) {
        assert.ok(op.responses[status], `${key} documents ${status}`);
      }
      for (const status of Object.keys(op.responses)) {
        if (Number(status) < 400) continue;
        assert.deepEqual(response(op, status)?.content, { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } }, `${key} ${status}`);
      }
      for (const status of ["429", "503"]) assert.ok(JSON.stringify(response(op, status)).includes("Retry-After"), `${key} ${status} says Retry-After`);
      assert.ok(op.responses["200"] ?? op.responses["201"], `${key} documents its success`);
    }
  });

  it("says the limits the gateway enforces", () => {
    assert.match(response(operation("POST /api/v1/orders"), "413")!.description!, new RegExp(String(maxBodyBytes)));
    assert.match(response(operation("GET /api/v1/products"), "413")!.description!, new RegExp(String(maxBodyBytes)));
    assert.equal(parameter("GET /api/v1/stock", "product_id").schema.maxItems, maxStockIds);
    assert.equal(parameter("GET /api/v1/stock", "product_id").required, true);
    assert.equal(parameter("GET /api/v1/products", "min_price").schema.maximum, maxQueryInteger);
    assert.equal(parameter("GET /api/v1/products", "max_price").schema.maximum, maxQueryInteger);
    assert.deepEqual(parameter("GET /api/v1/orders", "status").schema.enum, [...orderStatusNames]);
    assert.equal(parameter("POST /api/v1/orders", "Idempotency-Key").required, true);
  });

  it("says what a page token is, in requests and responses: the pattern the backends accept", () => {
    assert.equal(parameter("GET /api/v1/products", "page_token").schema.pattern, `^$|${pageTokenPatterns.id.source}`);
    assert.equal(parameter("GET /api/v1/orders", "page_token").schema.pattern, `^$|${pageTokenPatterns.createdAndId.source}`);
    const { schemas } = document.components;
    assert.equal(schemas["meshmart.catalog.v1.ListProductsResponse"]!.properties!.nextPageToken!.pattern, `^$|${pageTokenPatterns.id.source}`);
    assert.equal(schemas["meshmart.history.v1.ListOrderHistoryResponse"]!.properties!.nextPageToken!.pattern, `^$|${pageTokenPatterns.createdAndId.source}`);
  });

  it("gives examples", () => {
    assert.deepEqual(document.components.schemas["meshmart.common.v1.Money"]!.properties!.currencyCode!.examples, ["EUR"]);
  });

  it("is OpenAPI 3.1 and every $ref resolves", () => {
    assert.equal(document.openapi, "3.1.0");
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const pointer = ref.slice('"$ref":"#/'.length, -1).split("/");
      let node: unknown = document;
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
