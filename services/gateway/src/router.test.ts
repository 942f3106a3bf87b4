import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Router, type Route } from "./router.ts";

const route = (method: Route["method"], path: string): Route => ({ method, path, authenticated: false, handle: async () => {} });

describe("Router", () => {
  const router = new Router([
    route("GET", "/api/v1/orders"),
    route("POST", "/api/v1/orders"),
    route("GET", "/api/v1/orders/{id}"),
    route("POST", "/api/v1/orders/{id}:cancel"),
  ]);

  it("matches templates and decodes parameters", () => {
    const match = router.match("GET", "/api/v1/orders/a%20b");
    assert.equal(match.kind, "route");
    assert.deepEqual(match.kind === "route" && match.params, { id: "a b" });
    const cancel = router.match("POST", "/api/v1/orders/42:cancel");
    assert.equal(cancel.kind === "route" && cancel.route.path, "/api/v1/orders/{id}:cancel");
    assert.deepEqual(cancel.kind === "route" && cancel.params, { id: "42" });
  });

  it("tells a wrong method from an unknown path", () => {
    assert.deepEqual(router.match("DELETE", "/api/v1/orders"), { kind: "method-not-allowed", allowed: ["GET", "HEAD", "POST"] });
    assert.deepEqual(router.match("GET", "/api/v1/orders/42:cancel"), { kind: "method-not-allowed", allowed: ["POST"] });
    assert.deepEqual(router.match("GET", "/api/v1/orders/"), { kind: "not-found" });
    assert.deepEqual(router.match("GET", "/api/v1/orders/a/b"), { kind: "not-found" });
  });

  it("answers HEAD with the GET route", () => {
    assert.equal(router.match("HEAD", "/api/v1/orders").kind, "route");
  });

  it("throws URIError on bad percent-encoding", () => {
    assert.throws(() => router.match("GET", "/api/v1/orders/%E0%A4%A"), URIError);
  });
});
