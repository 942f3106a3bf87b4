// Server spans for every protocol a service port speaks, read back from a real
// Jaeger: the same RPC over Connect, gRPC and gRPC-Web continues the caller's
// trace (traceparent), is named after the RPC, says its protocol and its
// outcome; a client's mistake (not_found) is not an error span, a server
// fault (internal) is; the handler's log lines carry that span's trace_id
// and span_id; probes make no span.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { startJaeger, type JaegerHandle } from "@meshmart/infra/jaeger";
import { freePorts } from "@meshmart/infra/processes";
import { startService, type RunningService } from "../service.ts";
import { eventually } from "../test-support.ts";

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
}

async function spansOf(jaegerUrl: string, traceId: string): Promise<JaegerSpan[] | undefined> {
  const res = await fetch(`${jaegerUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5_000) });
  if (res.status === 404) return undefined;
  assert.equal(res.ok, true, `Jaeger answered ${res.status}`);
  return ((await res.json()) as { data: Array<{ spans: JaegerSpan[] }> }).data[0]?.spans;
}

const tagsOf = (span: JaegerSpan) => Object.fromEntries(span.tags.map((t) => [t.key, t.value]));
const productId = "3f1c1d2e-8d4b-4c1a-9f0e-2b7a6c5d4e3f";
const missingId = "00000000-0000-4000-8000-000000000000";
const brokenId = "11111111-1111-4111-8111-111111111111";

describe("server spans in a real Jaeger: Connect, gRPC and gRPC-Web", { timeout: 3 * 60_000 }, () => {
  let jaeger: JaegerHandle;
  let service: RunningService;
  const logs: Array<Record<string, unknown>> = [];

  before(async () => {
    const [query, queryGrpc, otlpGrpc, otlpHttp, health] = await freePorts(5, 27260, 27300);
    jaeger = await startJaeger({ profile: "spans-test", ports: { query: query!, queryGrpc: queryGrpc!, otlpGrpc: otlpGrpc!, otlpHttp: otlpHttp!, health: health! } });
    service = await startService(
      {
        name: "catalog",
        rpc: (router, runtime) =>
          router.service(CatalogService, {
            async getProduct(req) {
              runtime.logger.info({ productId: req.id }, "getProduct");
              if (req.id === missingId) throw new ConnectError("no such product", Code.NotFound);
              if (req.id === brokenId) throw new ConnectError("broken", Code.Internal);
              return { product: { id: req.id, name: "traced" } };
            },
          }),
      },
      {
        env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpEndpoint },
        logDestination: { write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
      },
    );
  });
  after(async () => {
    await service?.stop();
    await jaeger?.stop();
  });

  const protocols: Array<{ system: string; transport: () => Transport }> = [
    { system: "connectrpc", transport: () => createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }) },
    { system: "grpc", transport: () => createGrpcTransport({ baseUrl: service.url }) },
    { system: "grpc_web", transport: () => createGrpcWebTransport({ baseUrl: service.url, httpVersion: "1.1" }) },
  ];

  /** Calls GetProduct(id) as a child of a fresh caller span; returns the trace and the server span Jaeger holds for it. */
  async function traced(client: Client<typeof CatalogService>, id: string): Promise<{ traceId: string; callerSpanId: string; span: JaegerSpan }> {
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    await client.getProduct({ id }, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } }).catch((err: unknown) => {
      if (!(err instanceof ConnectError)) throw err;
    });
    const spans = await eventually(async () => await spansOf(jaeger.url, traceId), { what: `trace ${traceId} in Jaeger`, timeoutMs: 30_000, intervalMs: 300 });
    const servers = spans.filter((s) => tagsOf(s)["span.kind"] === "server");
    assert.equal(servers.length, 1, `one server span: ${spans.map((s) => s.operationName).join(", ")}`);
    return { traceId, callerSpanId, span: servers[0]! };
  }

  for (const { system, transport } of protocols) {
    it(`${system}: a SERVER span named after the RPC, a child of the caller's span, with its protocol and outcome; the handler's logs carry its ids`, async () => {
      const client = createClient(CatalogService, transport());
      const { traceId, callerSpanId, span } = await traced(client, productId);
      assert.equal(span.operationName, "meshmart.catalog.v1.CatalogService/GetProduct");
      assert.deepEqual(span.references.map((r) => [r.refType, r.spanID]), [["CHILD_OF", callerSpanId]], "continues the caller's trace");
      const tags = tagsOf(span);
      assert.equal(tags["rpc.system.name"], system);
      assert.equal(tags["rpc.method"], "meshmart.catalog.v1.CatalogService/GetProduct");
      assert.equal(tags["rpc.status_code"], "ok");
      assert.equal(tags["http.response.status_code"], 200);
      assert.equal(tags.error, undefined, "a successful call is no error");

      const line = logs.find((l) => l.msg === "getProduct" && l.trace_id === traceId);
      assert.ok(line, `the handler's log line carries trace_id ${traceId}`);
      assert.equal(line.span_id, span.spanID, "and the server span's id");
    });
  }

  it("a client's mistake (not_found) is no error span; a server fault (internal) is", async () => {
    const client = createClient(CatalogService, createGrpcTransport({ baseUrl: service.url }));
    const missing = tagsOf((await traced(client, missingId)).span);
    assert.equal(missing["rpc.status_code"], "not_found");
    assert.equal(missing.error, undefined);
    const broken = tagsOf((await traced(client, brokenId)).span);
    assert.equal(broken["rpc.status_code"], "internal");
    assert.equal(broken.error, true, "marked failed");
  });

  it("probes (/healthz, /readyz, /metrics) make no span", async () => {
    const traceId = randomBytes(16).toString("hex");
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const res = await fetch(`${service.url}${path}`, { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` } });
      assert.equal(res.ok, true, `${path} answered ${res.status}`);
    }
    // A traced call after them: once its trace is in Jaeger, the probes' spans (exported earlier, in the same batches) would be too.
    const client = createClient(CatalogService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
    await traced(client, productId);
    assert.equal(await spansOf(jaeger.url, traceId), undefined, "no trace of the probes");
  });
});
