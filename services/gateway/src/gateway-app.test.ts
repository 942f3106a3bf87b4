// The edge as a whole: unknown routes and methods, request ids in problem
// bodies, per-client rate limits, and backend failures as 5xx problems.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { problemOf, startTestGateway, type TestGateway } from "./test-gateway.ts";

const productId = "0b5c6a43-8c1f-4d6e-9a2b-3c4d5e6f7a81";

describe("gateway edge", () => {
  let gw: TestGateway;
  before(async () => {
    // Each backend answer as it is: no client retries or breaker (as in the
    // mesh), or the planned failures below would trip the breaker for the
    // tests after them. The policy outside the mesh: the next describe.
    gw = await startTestGateway({ BACKEND_TIMEOUT_MS: "300", SERVICE_MESH: "istio" });
  });
  after(() => gw.stop());
  beforeEach(() => {
    gw.calls.length = 0;
    gw.catalog.listProducts = () => ({ products: [], nextPageToken: "" });
  });

  it("answers an unknown route with a 404 problem", async () => {
    for (const path of ["/nope", "/api/v1/nope", "/api/v2/products", "/api/v1/products/a/b"]) {
      const res = await gw.request(path);
      assert.equal(res.status, 404, path);
      const problem = await problemOf(res);
      assert.equal(problem.instance, path);
    }
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const res = await gw.request("/api/v1/products", { method: "DELETE" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await problemOf(res);
    const orders = await gw.request("/api/v1/orders", { method: "PUT" });
    assert.equal(orders.headers.get("allow"), "POST, GET, HEAD");
  });

  it("keeps the platform's health and metrics routes", async () => {
    assert.equal((await gw.request("/healthz")).status, 200);
    assert.equal((await gw.request("/readyz")).status, 200);
    assert.match(await (await gw.request("/metrics")).text(), /rpc_client_requests_total/);
  });

  it("echoes the caller's request id in the header and the problem body, and forwards it to backends", async () => {
    const res = await gw.request("/api/v1/nope", { headers: { "x-request-id": "req-123" } });
    assert.equal(res.headers.get("x-request-id"), "req-123");
    assert.equal((await problemOf(res)).requestId, "req-123");

    const generated = await gw.request("/api/v1/products/not-a-uuid");
    const id = generated.headers.get("x-request-id");
    assert.ok(id);
    const problem = await problemOf(generated);
    assert.equal(problem.requestId, id);
    assert.match(String(problem.traceId), /^[0-9a-f]{32}$/);

    await gw.request("/api/v1/products", { headers: { "x-request-id": "req-456" } });
    assert.equal(gw.callsTo("ListProducts")[0]?.headers.get("x-request-id"), "req-456");
  });

  it("answers a backend that says Unavailable with 503 and Retry-After", async () => {
    gw.catalog.listProducts = () => {
      throw new ConnectError("database is down: connection refused to 10.0.0.7", Code.Unavailable);
    };
    const res = await gw.request("/api/v1/products");
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    const problem = await problemOf(res);
    assert.equal(problem.code, "unavailable");
    assert.equal(problem.detail, "catalog is unavailable; retry later");
  });

  it("answers a backend that does not answer in time with 504", async () => {
    gw.catalog.getProduct = async (_req, ctx) => {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        ctx.signal.addEventListener("abort", () => resolve(clearTimeout(timer)));
      });
      return {};
    };
    const res = await gw.request(`/api/v1/products/${productId}`);
    assert.equal(res.status, 504);
    assert.equal((await problemOf(res)).code, "deadline_exceeded");
  });

  it("hides a backend's internal error behind a 500 problem", async () => {
    gw.catalog.getProduct = () => {
      throw new Error("secret stack detail");
    };
    const res = await gw.request(`/api/v1/products/${productId}`);
    assert.equal(res.status, 500);
    const problem = await problemOf(res);
    assert.doesNotMatch(problem.detail, /secret/);
  });

  it("maps the other Connect codes to their HTTP statuses", async () => {
    const cases: [Code, number][] = [
      [Code.AlreadyExists, 409],
      [Code.Aborted, 409],
      [Code.PermissionDenied, 403],
      [Code.ResourceExhausted, 429],
      [Code.Unauthenticated, 401],
      [Code.Unimplemented, 501],
      [Code.OutOfRange, 400],
    ];
    for (const [code, status] of cases) {
      gw.catalog.listProducts = () => {
        throw new ConnectError("no", code);
      };
      const res = await gw.request("/api/v1/products");
      assert.equal(res.status, status, Code[code]);
      await problemOf(res);
    }
  });
});

describe("gateway edge outside the mesh (SERVICE_MESH=none, the default)", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.stop());

  it("retries a read a backend answered Unavailable, as the sidecar would, and answers 200", async () => {
    let failures = 1;
    gw.catalog.listProducts = () => {
      if (failures-- > 0) throw new ConnectError("restarting", Code.Unavailable);
      return { products: [], nextPageToken: "" };
    };
    const res = await gw.request("/api/v1/products");
    assert.equal(res.status, 200);
    assert.equal(gw.callsTo("ListProducts").length, 2);
  });

  it("answers 500 without a retry when a backend says internal", async () => {
    gw.calls.length = 0;
    gw.catalog.listProducts = () => {
      throw new ConnectError("bug", Code.Internal);
    };
    assert.equal((await gw.request("/api/v1/products")).status, 500);
    assert.equal(gw.callsTo("ListProducts").length, 1);
  });
});

describe("gateway edge with a backend down", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
    await gw.stopBackend("inventory");
  });
  after(() => gw.stop());

  it("answers 503 when the backend cannot be reached at all", async () => {
    const res = await gw.request(`/api/v1/stock?product_id=${productId}`);
    assert.equal(res.status, 503);
    assert.equal((await problemOf(res)).detail, "inventory is unavailable; retry later");
  });
});

describe("gateway edge with a backend that breaks connections", () => {
  // One backend resets each connection as it opens, the other once the request arrives.
  const breakers = [(socket: net.Socket) => socket.destroy(), (socket: net.Socket) => socket.once("data", () => socket.destroy())];
  for (const [i, breaker] of breakers.entries()) {
    it(`answers 503 with Retry-After when the backend ${i === 0 ? "resets on connect" : "resets mid-request"}`, async () => {
      const backend = net.createServer(breaker);
      await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
      const gw = await startTestGateway({ CATALOG_URL: `http://127.0.0.1:${(backend.address() as net.AddressInfo).port}` });
      try {
        const res = await gw.request("/api/v1/products");
        assert.equal(res.status, 503);
        assert.equal(res.headers.get("retry-after"), "1");
        const problem = await problemOf(res);
        assert.equal(problem.code, "unavailable");
        assert.equal(problem.detail, "catalog is unavailable; retry later");
      } finally {
        await gw.stop();
        backend.close();
      }
    });
  }
});

describe("gateway edge against oversized requests", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.stop());

  it("answers 413 to a declared body over the limit on any route, before authentication", async () => {
    const body = "x".repeat(10 * 1024 * 1024);
    for (const [method, path] of [["POST", "/api/v1/orders"], ["POST", "/api/v1/products"], ["POST", "/api/v1/orders/x:cancel"]] as const) {
      const res = await gw.request(path, { method, headers: { "content-type": "application/json" }, body });
      assert.equal(res.status, 413, `${method} ${path}`);
      assert.equal((await problemOf(res)).code, "resource_exhausted");
    }
    assert.equal(gw.calls.length, 0);
  });

  it("answers 431 with a problem body to 600 repeated query parameters", async () => {
    const query = Array.from({ length: 600 }, () => `product_id=${productId}`).join("&");
    const res = await gw.request(`/api/v1/stock?${query}`);
    assert.equal(res.status, 431);
    const problem = await problemOf(res);
    assert.equal(problem.status, 431);
    assert.match(problem.detail, /query parameters/);
    assert.equal(gw.calls.length, 0);
  });
});

describe("rate limiting", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ RATE_LIMIT_RPS: "1", RATE_LIMIT_BURST: "3" });
    gw.catalog.listProducts = () => ({ products: [], nextPageToken: "" });
    gw.history.listOrderHistory = () => ({ orders: [], nextPageToken: "" });
  });
  after(() => gw.stop());

  it("answers 429 with Retry-After once a client used its burst, backend not called", async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await gw.request("/api/v1/products")).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const res = await gw.request("/api/v1/products");
    assert.equal(res.status, 429);
    // Burst 3 at 1/s: windows of 3 s, so the wait is what is left of this one.
    const retryAfter = Number(res.headers.get("retry-after"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3, `Retry-After ${retryAfter}`);
    assert.equal((await problemOf(res)).code, "resource_exhausted");
    assert.equal(gw.callsTo("ListProducts").length, 3);
  });

  it("keys authenticated clients by token subject, each with a bucket of its own", async () => {
    const alice = await gw.token("alice");
    const bob = await gw.token("bob");
    const call = (token: string) => gw.request("/api/v1/orders", { headers: { authorization: `Bearer ${token}` } });
    const statuses = async (token: string) => {
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push((await call(token)).status);
      return seen;
    };
    assert.deepEqual(await statuses(alice), [200, 200, 200, 429]);
    assert.deepEqual(await statuses(bob), [200, 200, 200, 429]);
  });
});
