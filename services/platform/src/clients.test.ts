// The client contract, with real servers in-process: A (gateway) serves a
// CatalogService whose handler calls B (catalog) through createServiceClient.
// B's fake handler records what reached it, so the test sees exactly what a
// downstream service sees: the deadline, the trace and the request id.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { createServiceClient, serviceUrl } from "./clients.ts";
import { ConfigError } from "./config.ts";
import { currentContext, runWithContext, type RequestContext } from "./request-context.ts";
import { activeTraceIds } from "./telemetry/trace-context.ts";
import { startService, type RunningService } from "./service.ts";

const productId = "3f1c1d2e-8d4b-4c1a-9f0e-2b7a6c5d4e3f";
const env = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" } as const;

/** What B's handler received. */
interface SeenByB {
  header: Headers;
  timeoutMs: number | undefined;
}

/** What A's handler knew and what its call to B gave. */
interface SeenByA {
  context: RequestContext | undefined;
  traceId: string | undefined;
  /** The code of the call to B (undefined when it succeeded). */
  code: Code | undefined;
  message: string;
  /** How long the call to B took. */
  callMs: number;
}

const rejectsWith = (code: Code) => (err: unknown) => {
  assert.equal(ConnectError.from(err).code, code, String(err));
  return true;
};

describe("service clients", () => {
  let a: RunningService;
  let b: RunningService;
  let caller: Client<typeof CatalogService>;
  /** A client for B made outside any request (no incoming deadline or trace). */
  let direct: Client<typeof CatalogService>;
  /** Calls that got past the propagation layer onto the wire, from A's client and `direct`. */
  let wireCalls = 0;

  // Per-test knobs, reset before each test.
  let plan: { aDelayMs: number; bStallMs: number; aExplicitTimeoutMs: number | undefined };
  let seenByB: SeenByB[];
  let seenByA: Promise<SeenByA>;
  let resolveA: (seen: SeenByA) => void;

  beforeEach(() => {
    plan = { aDelayMs: 0, bStallMs: 0, aExplicitTimeoutMs: undefined };
    seenByB = [];
    wireCalls = 0;
    seenByA = new Promise((resolve) => (resolveA = resolve));
  });

  const countWireCalls = (): Interceptor => (next) => async (req) => {
    wireCalls++;
    return next(req);
  };

  before(async () => {
    b = await startService(
      {
        name: "catalog",
        rpc: (router) =>
          router.service(CatalogService, {
            async getProduct(req, ctx) {
              seenByB.push({ header: new Headers(ctx.requestHeader), timeoutMs: ctx.timeoutMs() });
              if (plan.bStallMs > 0) await sleep(plan.bStallMs, undefined, { signal: ctx.signal }).catch(() => {});
              return { product: { id: req.id, name: "from B" } };
            },
          }),
      },
      { env },
    );
    a = await startService(
      {
        name: "gateway",
        rpc: (router) => {
          const toB = createServiceClient(CatalogService, {
            baseUrl: serviceUrl("catalog", { CATALOG_URL: b.url }),
            defaultTimeoutMs: 5_000,
            interceptors: [countWireCalls()],
          });
          router.service(CatalogService, {
            async getProduct(req) {
              const context = currentContext();
              const traceId = activeTraceIds()?.traceId;
              if (plan.aDelayMs > 0) await sleep(plan.aDelayMs);
              const started = Date.now();
              try {
                const res = await toB.getProduct(req, { timeoutMs: plan.aExplicitTimeoutMs });
                resolveA({ context, traceId, code: undefined, message: "", callMs: Date.now() - started });
                return res;
              } catch (err) {
                const error = ConnectError.from(err);
                resolveA({ context, traceId, code: error.code, message: error.rawMessage, callMs: Date.now() - started });
                throw err;
              }
            },
          });
        },
      },
      { env },
    );
    caller = createClient(CatalogService, createConnectTransport({ baseUrl: a.url, httpVersion: "1.1" }));
    direct = createServiceClient(CatalogService, { baseUrl: b.url, defaultTimeoutMs: 200, interceptors: [countWireCalls()] });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  it("A -> B: B gets A's remaining deadline, the same trace id and the same x-request-id", async () => {
    const traceId = randomBytes(16).toString("hex");
    const spanId = randomBytes(8).toString("hex");
    const requestId = `req-${randomBytes(4).toString("hex")}`;
    const responseHeaders: Headers[] = [];
    plan.aExplicitTimeoutMs = 10_000; // an explicit timeout longer than the caller's deadline does not extend it

    const res = await caller.getProduct(
      { id: productId },
      {
        timeoutMs: 1_000,
        headers: { traceparent: `00-${traceId}-${spanId}-01`, "x-request-id": requestId },
        onHeader: (header) => responseHeaders.push(header),
      },
    );
    assert.equal(res.product?.name, "from B");

    const seenA = await seenByA;
    assert.equal(seenA.context?.requestId, requestId);
    assert.equal(seenA.traceId, traceId, "A continues the caller's trace");
    assert.ok(seenA.context?.deadline !== undefined, "A knows the caller's deadline");

    assert.equal(seenByB.length, 1);
    const [seen] = seenByB as [SeenByB];
    const header = Number(seen.header.get("connect-timeout-ms"));
    assert.ok(header > 0 && header <= 1_000, `connect-timeout-ms ${header} is within the caller's 1000 ms`);
    assert.ok(seen.timeoutMs !== undefined && seen.timeoutMs > 0 && seen.timeoutMs <= 1_000, `B's deadline ${seen.timeoutMs} ms`);

    const trace = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(seen.header.get("traceparent") ?? "");
    assert.ok(trace, `B got a valid traceparent: ${seen.header.get("traceparent")}`);
    assert.equal(trace[1], traceId, "same trace id at B");
    assert.notEqual(trace[2], spanId, "B's parent span is A's outgoing call, not the caller's span");
    assert.equal(trace[3], "01", "the sampled flag travels");
    assert.equal(seen.header.get("x-request-id"), requestId, "same request id at B");
    assert.equal(responseHeaders[0]?.get("x-request-id"), requestId, "A echoes the request id");
  });

  it("A -> B without an incoming deadline: B gets the client's defaultTimeoutMs; an explicit timeout wins", async () => {
    await caller.getProduct({ id: productId });
    const seenA = await seenByA;
    assert.equal(seenA.context?.deadline, undefined, "no deadline came in");
    assert.equal(seenByB[0]?.header.get("connect-timeout-ms"), "5000", "A's client default");
    const timeoutMs = seenByB[0]?.timeoutMs;
    assert.ok(timeoutMs !== undefined && timeoutMs > 4_000 && timeoutMs <= 5_000, `B's deadline ${timeoutMs} ms`);
    assert.ok(seenByB[0]?.header.get("traceparent"), "a trace starts at A when none came in");
    assert.equal(seenByB[0]?.header.get("x-request-id"), seenA.context?.requestId, "A's generated request id travels");

    // Outside any request: the default, or the call's own timeout.
    await direct.getProduct({ id: productId });
    assert.equal(seenByB[1]?.header.get("connect-timeout-ms"), "200");
    await direct.getProduct({ id: productId }, { timeoutMs: 250 });
    assert.equal(seenByB[2]?.header.get("connect-timeout-ms"), "250");
  });

  it("fails with DeadlineExceeded before calling B when the incoming deadline has run out", async () => {
    plan.aDelayMs = 300; // A is slower than the caller's deadline, then calls B anyway
    await assert.rejects(caller.getProduct({ id: productId }, { timeoutMs: 100 }), rejectsWith(Code.DeadlineExceeded));
    const seenA = await seenByA;
    assert.equal(seenA.code, Code.DeadlineExceeded, `A's call to B: ${seenA.message}`);
    assert.match(seenA.message, /before the call was made/);
    assert.equal(wireCalls, 0, "nothing was sent");
    assert.equal(seenByB.length, 0, "B records no call");

    // The same with a context set by hand, outside any server.
    const expired: RequestContext = {
      requestId: "expired",
      deadline: Date.now() - 1,
    };
    await assert.rejects(
      runWithContext(expired, () => direct.getProduct({ id: productId })),
      rejectsWith(Code.DeadlineExceeded),
    );
    assert.equal(wireCalls, 0);
    assert.equal(seenByB.length, 0);
  });

  it("gives DeadlineExceeded when B stalls past the deadline, at the propagated deadline rather than the client default", async () => {
    plan.bStallMs = 5_000;
    const started = Date.now();
    await assert.rejects(caller.getProduct({ id: productId }, { timeoutMs: 300 }), rejectsWith(Code.DeadlineExceeded));
    assert.ok(Date.now() - started < 2_000, `the caller waited ${Date.now() - started} ms`);
    const seenA = await seenByA;
    assert.equal(seenA.code, Code.DeadlineExceeded, `A's call to B: ${seenA.message}`);
    assert.ok(seenA.callMs < 2_000, `A's call to B gave up after ${seenA.callMs} ms, not after its 5000 ms default`);
    assert.equal(seenByB.length, 1);
    assert.ok((seenByB[0]?.timeoutMs ?? Infinity) <= 300, "B was told the caller's deadline");

    // Outside any request, the client's default deadline bounds the call.
    seenByB = [];
    const directStarted = Date.now();
    await assert.rejects(direct.getProduct({ id: productId }), rejectsWith(Code.DeadlineExceeded));
    assert.ok(Date.now() - directStarted < 2_000, `gave up after ${Date.now() - directStarted} ms (default 200 ms)`);
  });

  describe("serviceUrl", () => {
    it("uses <NAME>_URL when set, without a trailing slash", () => {
      assert.equal(serviceUrl("catalog", { CATALOG_URL: "http://127.0.0.1:8081/" }), "http://127.0.0.1:8081");
      assert.equal(serviceUrl("orders", { ORDERS_URL: "https://orders.example:9443" }), "https://orders.example:9443");
      assert.equal(serviceUrl("catalog", { ORDERS_URL: "http://elsewhere:1" }), "http://catalog:8080", "only its own variable counts");
    });

    it("falls back to the Kubernetes DNS name on port 8080", () => {
      assert.equal(serviceUrl("catalog", {}), "http://catalog:8080");
      assert.equal(serviceUrl("notifications", { NOTIFICATIONS_URL: "" }), "http://notifications:8080");
    });

    it("refuses a malformed <NAME>_URL with a config error naming the variable", () => {
      for (const bad of ["not a url", "catalog:8081", "localhost:8081", "ftp://catalog:21"]) {
        assert.throws(
          () => serviceUrl("catalog", { CATALOG_URL: bad }),
          (err: unknown) => {
            assert.ok(err instanceof ConfigError, `a ConfigError for "${bad}": ${String(err)}`);
            assert.equal(err.variable, "CATALOG_URL");
            assert.match(err.message, /^config: CATALOG_URL must be an absolute http\(s\) URL/);
            assert.ok(err.message.includes(bad), "the message quotes the bad value");
            return true;
          },
        );
      }
    });
  });
});
