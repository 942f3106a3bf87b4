// The client policy outside the mesh, with real servers in-process (catalog and
// orders definitions whose handlers fail as each test plans) and a real
// refused connection: retries only on the RPCs the topology marks safe and only
// on the mesh's conditions, PlaceOrder only with its idempotency key, the
// route and per-try timeouts, a circuit breaker that opens and closes, and
// nothing of it in the mesh.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { callPolicy, perTryTimeoutMs, services } from "@meshmart/topology";
import { CircuitState } from "cockatiel";
import { clientPolicy, mayRetry, type ClientPolicyOptions } from "./client-policy.ts";
import { createServiceClient } from "./clients.ts";
import { startService, type RunningService } from "./service.ts";

const productId = "3f1c1d2e-8d4b-4c1a-9f0e-2b7a6c5d4e3f";
const customerId = "6b0d7a52-6a8e-4d0e-9a53-0c1c9f6d2b11";
const env = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" } as const;

const codeOf = (err: unknown) => ConnectError.from(err).code;

async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe("client policy outside the mesh", () => {
  let catalog: RunningService;
  /** What the catalog handlers do on each try: fail with a code, stall, or answer. */
  let plan: Array<Code | "stall" | "ok">;
  let tries: Array<{ method: string; requestId: string | null; timeoutMs: number | undefined }>;
  /** Tries that reached the wire (counted by an interceptor, once per try). */
  let wireTries = 0;
  const countTries: Interceptor = (next) => async (req) => {
    wireTries++;
    return next(req);
  };

  const answer = async (method: string, ctx: { requestHeader: Headers; timeoutMs(): number | undefined; signal: AbortSignal }) => {
    tries.push({ method, requestId: ctx.requestHeader.get("x-request-id"), timeoutMs: ctx.timeoutMs() });
    const step = plan.shift() ?? "ok";
    if (step === "stall") await sleep(10_000, undefined, { signal: ctx.signal }).catch(() => {});
    else if (step !== "ok") throw new ConnectError(`planned ${Code[step]}`, step);
  };

  const catalogClient = (overrides?: Partial<ClientPolicyOptions>, mesh: "none" | "istio" = "none") =>
    createServiceClient(CatalogService, {
      baseUrl: catalog.url,
      defaultTimeoutMs: 10_000,
      interceptors: [countTries],
      policy: clientPolicy("catalog", mesh, { initialBackoffMs: 5, maxBackoffMs: 20, ...overrides }),
    });

  before(async () => {
    catalog = await startService(
      {
        name: "catalog",
        rpc: (router) =>
          router.service(CatalogService, {
            async getProduct(req, ctx) {
              await answer("GetProduct", ctx);
              return { product: { id: req.id, name: "ok" } };
            },
            async deleteProduct(_req, ctx) {
              await answer("DeleteProduct", ctx);
              return {};
            },
          }),
      },
      { env },
    );
  });
  after(() => catalog?.stop());
  beforeEach(() => {
    plan = [];
    tries = [];
    wireTries = 0;
  });

  it("retries a retryable RPC on unavailable (a 503), the same request each time, and succeeds", async () => {
    plan = [Code.Unavailable, Code.Unavailable, "ok"];
    const res = await catalogClient().getProduct({ id: productId }, { headers: { "x-request-id": "retry-me" } });
    assert.equal(res.product?.name, "ok");
    assert.equal(tries.length, 1 + callPolicy.retryAttempts, "the first try and the mesh's two retries");
    assert.deepEqual(tries.map((t) => t.requestId), ["retry-me", "retry-me", "retry-me"]);
  });

  it("gives up after the mesh's number of retries with the last error", async () => {
    plan = [Code.Unavailable, Code.Unavailable, Code.Unavailable, "ok"];
    await assert.rejects(catalogClient().getProduct({ id: productId }), (err) => codeOf(err) === Code.Unavailable);
    assert.equal(tries.length, 3);
  });

  it("does not retry an RPC the topology does not mark safe (DeleteProduct)", async () => {
    assert.ok(!services.catalog.retryableMethods.includes("DeleteProduct"));
    plan = [Code.Unavailable, "ok"];
    await assert.rejects(catalogClient().deleteProduct({ id: productId }), (err) => codeOf(err) === Code.Unavailable);
    assert.equal(tries.length, 1);
  });

  it("does not retry on a code outside the mesh's conditions (internal, a 500)", async () => {
    plan = [Code.Internal, "ok"];
    await assert.rejects(catalogClient().getProduct({ id: productId }), (err) => codeOf(err) === Code.Internal);
    assert.equal(tries.length, 1);
  });

  it("caps a call at the route timeout and each try at the per-try timeout, and retries a try that ran out of time", async () => {
    const perTry = perTryTimeoutMs(services.catalog.timeoutMs, callPolicy.retryAttempts);
    plan = ["stall", "ok"];
    const res = await catalogClient().getProduct({ id: productId }, { timeoutMs: 10_000 });
    assert.equal(res.product?.name, "ok");
    assert.equal(tries.length, 2, "the stalled try was retried");
    for (const t of tries) assert.ok(t.timeoutMs !== undefined && t.timeoutMs <= perTry, `a try's deadline ${t.timeoutMs} ms <= ${perTry} ms`);

    tries = [];
    await catalogClient().deleteProduct({ id: productId }, { timeoutMs: 10_000 });
    const timeoutMs = tries[0]?.timeoutMs;
    assert.ok(timeoutMs !== undefined && timeoutMs <= services.catalog.timeoutMs && timeoutMs > perTry, `DeleteProduct's deadline ${timeoutMs} ms is the route timeout`);
  });

  it("gives a write idempotent by its key (PlaceOrder) the whole route timeout per try, and retries it on unavailable only", async () => {
    const seen: Array<number | undefined> = [];
    let failFirst = true;
    const orders = await startService(
      {
        name: "orders",
        rpc: (router) =>
          router.service(OrderService, {
            async placeOrder(_req, ctx) {
              seen.push(ctx.timeoutMs());
              if (failFirst) {
                failFirst = false;
                throw new ConnectError("overloaded", Code.Unavailable);
              }
              return { replayed: false };
            },
          }),
      },
      { env },
    );
    try {
      const client = createServiceClient(OrderService, {
        baseUrl: orders.url,
        defaultTimeoutMs: 10_000,
        policy: clientPolicy("orders", "none", { initialBackoffMs: 5, maxBackoffMs: 20 }),
      });
      await client.placeOrder({ customerId, items: [{ productId, quantity: 1 }], idempotencyKey: "k-2" });
      assert.equal(seen.length, 2, "retried once on unavailable");
      const perTry = perTryTimeoutMs(services.orders.timeoutMs, callPolicy.retryAttempts);
      for (const timeoutMs of seen) {
        assert.ok(timeoutMs !== undefined && timeoutMs > perTry && timeoutMs <= services.orders.timeoutMs, `PlaceOrder's deadline ${timeoutMs} ms: the route timeout, not the per-try ${perTry} ms`);
      }
    } finally {
      await orders.stop();
    }
  });

  it("retries PlaceOrder on a refused connection only when it carries an idempotency key", async () => {
    const orders = createServiceClient(OrderService, {
      baseUrl: await refusedUrl(),
      interceptors: [countTries],
      policy: clientPolicy("orders", "none", { initialBackoffMs: 5, maxBackoffMs: 20 }),
    });
    const request = { customerId, items: [{ productId, quantity: 1 }] };
    await assert.rejects(orders.placeOrder({ ...request, idempotencyKey: "k-1" }), (err) => codeOf(err) === Code.Unavailable);
    assert.equal(wireTries, 3, "with a key: the first try and two retries");

    wireTries = 0;
    await assert.rejects(orders.placeOrder(request), (err) => codeOf(err) === Code.Unavailable);
    assert.equal(wireTries, 1, "without a key: never retried (the mesh, matching paths only, would)");

    assert.equal(mayRetry("orders", OrderService.method.placeOrder, { idempotencyKey: "" }), false);
    assert.equal(mayRetry("orders", OrderService.method.getOrder, {}), true);
    assert.equal(mayRetry("catalog", OrderService.method.getOrder, {}), false, "a method of another service is not the target's");
  });

  it("opens the circuit when most tries fail, fails fast while open, and closes after a trial call succeeds", async () => {
    const policy = clientPolicy("catalog", "none", { initialBackoffMs: 5, maxBackoffMs: 20, breakerOpenMs: 300 })!;
    const client = createServiceClient(CatalogService, { baseUrl: catalog.url, interceptors: [countTries], policy });
    plan = Array<Code>(10).fill(Code.Unavailable);

    await assert.rejects(client.getProduct({ id: productId }), (err) => codeOf(err) === Code.Unavailable);
    assert.equal(tries.length, 3);
    assert.equal(policy.circuit(), CircuitState.Closed, "3 failures: fewer than the 5 that may open it");

    // The 4th and 5th failures open it; the call's last retry is refused by the open circuit.
    await assert.rejects(client.getProduct({ id: productId }), (err) => codeOf(err) === Code.Unavailable && /circuit open/.test(String(err)));
    assert.equal(tries.length, callPolicy.consecutive5xxErrors);
    assert.equal(policy.circuit(), CircuitState.Open);

    plan = []; // catalog is healthy again, but the circuit is open: nothing reaches it
    await assert.rejects(client.getProduct({ id: productId }), (err) => codeOf(err) === Code.Unavailable && /circuit open/.test(String(err)));
    assert.equal(tries.length, 5, "failed fast");

    await sleep(400); // past the ejection time: one trial call goes through and closes it
    const res = await client.getProduct({ id: productId });
    assert.equal(res.product?.name, "ok");
    assert.equal(policy.circuit(), CircuitState.Closed);
    await client.getProduct({ id: productId });
    assert.equal(tries.length, 7);
  });

  it("keeps the circuit open when the trial call fails", async () => {
    const policy = clientPolicy("catalog", "none", { breakerMinimumFailures: 1, breakerOpenMs: 200, retryAttempts: 0 })!;
    const client = createServiceClient(CatalogService, { baseUrl: catalog.url, policy });
    plan = [Code.Unavailable, Code.Unavailable];
    await assert.rejects(client.getProduct({ id: productId }));
    assert.equal(policy.circuit(), CircuitState.Open);
    await sleep(250);
    await assert.rejects(client.getProduct({ id: productId }), (err) => !/circuit open/.test(String(err)));
    assert.equal(tries.length, 2, "the trial call reached catalog");
    assert.equal(policy.circuit(), CircuitState.Open, "and failed, so the circuit opened again");
  });

  it("keeps the circuit closed under a partial fault (a third of the tries fail)", async () => {
    const policy = clientPolicy("catalog", "none", { initialBackoffMs: 5, maxBackoffMs: 20 })!;
    const client = createServiceClient(CatalogService, { baseUrl: catalog.url, policy });
    for (let call = 0; call < 20; call++) {
      plan = call % 2 === 0 ? [Code.Unavailable, "ok"] : ["ok"];
      assert.equal((await client.getProduct({ id: productId })).product?.name, "ok");
    }
    assert.equal(tries.length, 30, "10 failed tries, each retried once, and 10 calls that succeeded at once");
    assert.equal(policy.circuit(), CircuitState.Closed, "a third of the tries failed: fewer than half");
  });

  it("in the mesh (SERVICE_MESH=istio) the client adds nothing: the sidecar retries", async () => {
    assert.equal(clientPolicy("catalog", "istio"), undefined);
    plan = [Code.Unavailable, "ok"];
    await assert.rejects(catalogClient({}, "istio").getProduct({ id: productId }), (err) => codeOf(err) === Code.Unavailable);
    assert.equal(tries.length, 1);
  });
});
