// The router on its own, in a bare Koa app (Koa answers a thrown Problem with
// its status and headers): templates as google.api.http writes them, 404
// and 405 with Allow, HEAD, bad percent-encoding, routes that need a token.
import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import Koa from "koa";
import { compileTemplate, restRouter, type Route, type RouteState } from "./rest-router.ts";

const seen: Array<{ path: string; params: Readonly<Record<string, string>> }> = [];
const route = (method: Route["method"], path: string, authenticated = false): Route => ({
  method,
  path,
  authenticated,
  async handle(ctx, { params }) {
    seen.push({ path, params });
    ctx.body = { path };
  },
});

function call(port: number, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", method, path, headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, allow: res.headers.allow, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("rest router", () => {
  let server: ReturnType<Koa["listen"]>;
  let port: number;
  before(async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      if (ctx.get("x-identity")) (ctx.state as RouteState).identity = { subject: ctx.get("x-identity") };
      await next();
    });
    const routes = [
      route("GET", "/api/v1/orders", true),
      route("POST", "/api/v1/orders"),
      route("GET", "/api/v1/orders/{id}"),
      route("POST", "/api/v1/orders/{id}:cancel"),
    ];
    for (const middleware of restRouter(routes)) app.use(middleware);
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it("matches templates and decodes parameters; {id} stops at ':'", async () => {
    seen.length = 0;
    assert.equal((await call(port, "GET", "/api/v1/orders/a%20b")).status, 200);
    assert.equal((await call(port, "POST", "/api/v1/orders/42:cancel")).status, 200);
    assert.deepEqual(seen, [
      { path: "/api/v1/orders/{id}", params: { id: "a b" } },
      { path: "/api/v1/orders/{id}:cancel", params: { id: "42" } },
    ]);
  });

  it("answers a known path with another method 405 and Allow, whatever the method", async () => {
    assert.deepEqual(await call(port, "DELETE", "/api/v1/orders").then(({ status, allow }) => ({ status, allow })), { status: 405, allow: "GET, HEAD, POST" });
    assert.deepEqual(await call(port, "GET", "/api/v1/orders/42:cancel").then(({ status, allow }) => ({ status, allow })), { status: 405, allow: "POST" });
    for (const method of ["OPTIONS", "TRACE", "PROPFIND"]) {
      assert.deepEqual(await call(port, method, "/api/v1/orders/42").then(({ status, allow }) => ({ status, allow })), { status: 405, allow: "GET, HEAD" }, method);
    }
  });

  it("answers an unknown path 404, trailing slashes and extra segments included", async () => {
    for (const path of ["/nope", "/api/v1/orders/", "/api/v1/orders/a/b", "/API/v1/orders"]) {
      assert.equal((await call(port, "GET", path)).status, 404, path);
    }
  });

  it("answers HEAD with the GET route, without a body", async () => {
    const res = await call(port, "HEAD", "/api/v1/orders/42");
    assert.equal(res.status, 200);
    assert.equal(res.body, "");
  });

  it("answers bad percent-encoding in a parameter 400", async () => {
    assert.equal((await call(port, "GET", "/api/v1/orders/%E0%A4%A")).status, 400);
  });

  it("answers a route that needs a token 401 without an identity", async () => {
    assert.equal((await call(port, "GET", "/api/v1/orders")).status, 401);
    assert.equal((await call(port, "GET", "/api/v1/orders", { "x-identity": "c" })).status, 200);
  });

  it("compiles templates to anchored patterns", () => {
    const { pattern, names } = compileTemplate("/api/v1/orders/{id}:cancel");
    assert.equal(pattern.source, "^\\/api\\/v1\\/orders\\/([^/:]+):cancel$");
    assert.deepEqual(names, ["id"]);
    assert.ok(compileTemplate("/api/v1/openapi.json").pattern.test("/api/v1/openapi.json"));
    assert.ok(!compileTemplate("/api/v1/openapi.json").pattern.test("/api/v1/openapiXjson"), "a dot is a dot");
  });
});
