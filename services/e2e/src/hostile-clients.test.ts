// Hostile clients against the whole system, every service a real process on
// the real PostgreSQL and Kafka: protocol abuse of a service's one port
// (catalog, with small limits so that each case takes about a second) and of
// the gateway, each answered or closed in time, catalog's memory bounded and
// /healthz answering afterwards, nothing logged at error; then Schemathesis
// fuzzes the gateway's REST API with every check on; then the seven invariants
// still hold.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { ListProductsRequestSchema } from "@meshmart/proto/catalog/v1/catalog_pb";
import { testKafkaBrokers } from "@meshmart/platform/test-support";
import { connectRaw, errorCode, flags, frame, frameType, grpcStatusOf, headerBlock, openRawHttp2, preface, within, type RawConnection } from "@meshmart/platform/raw-http2";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { ensureSchemathesis, runSchemathesis } from "./schemathesis.ts";
import { startTestStack, type TestStack } from "./test-stack.ts";
const rpcPath = "/meshmart.catalog.v1.CatalogService/ListProducts";
const bound = 5_000; // "in time": well past each limit below, well short of forever

/** Small limits, so that a case waits a second, not a minute; the connection cap is small enough to flood. */
const smallLimits = {
  HTTP_SNIFF_TIMEOUT_MS: "1500",
  HTTP_HEADERS_TIMEOUT_MS: "500",
  HTTP_REQUEST_TIMEOUT_MS: "1000",
  HTTP2_SETTINGS_TIMEOUT_MS: "500",
  HTTP2_IDLE_TIMEOUT_MS: "1000",
  MAX_CONNECTIONS: "50",
  PROBE_CONNECTIONS: "4",
};

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

describe("hostile clients", () => {
  let stack: TestStack;
  let catalog: string;
  let catalogPort: number;
  let gateway: string;
  const lines: Array<{ service: string; line: Record<string, unknown> }> = [];
  before(async () => {
    stack = await startTestStack({
      brokers: testKafkaBrokers(),
      serviceEnv: { catalog: smallLimits, gateway: { HTTP_HEADERS_TIMEOUT_MS: "500", HTTP_REQUEST_TIMEOUT_MS: "1000" } },
      env: { LOG_LEVEL: "info" },
      onLine: (service, text) => {
        try {
          lines.push({ service, line: JSON.parse(text) as Record<string, unknown> });
        } catch {
          lines.push({ service, line: { level: "unparsed", text } });
        }
      },
    });
    catalog = stack.processes.urls.catalog;
    catalogPort = Number(new URL(catalog).port);
    gateway = stack.processes.urls.gateway;
  });
  after(() => stack?.stop());

  const healthz = async (url = catalog) => (await fetch(`${url}/healthz`)).status;

  describe("protocol abuse of catalog's port", () => {
    let rssBefore = 0;
    before(async () => {
      await fetch(`${catalog}${rpcPath}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }); // warm
      rssBefore = rssBytes(stack.processes.pid("catalog")!);
    });

    it("closes an idle TCP connection", async () => {
      const conn = await connectRaw(catalogPort);
      assert.ok(await within(conn.closed, bound));
      assert.equal(await healthz(), 200);
    });

    it("closes a connection that sent part of the HTTP/2 preface", async () => {
      const conn = await connectRaw(catalogPort);
      conn.socket.write(preface.subarray(0, 12));
      assert.ok(await within(conn.closed, bound));
    });

    it("ends a connection that sent its SETTINGS, then nothing, with GOAWAY SETTINGS_TIMEOUT", async () => {
      const conn = await connectRaw(catalogPort);
      conn.socket.write(Buffer.concat([preface, frame(frameType.settings, 0, 0)]));
      assert.ok(await within(conn.closed, bound));
      const goaway = conn.frames().find((f) => f.type === frameType.goaway);
      assert.equal(goaway && errorCode(goaway), http2.constants.NGHTTP2_SETTINGS_TIMEOUT);
    });

    it("answers 408 to headers that never finish, and to a body that never finishes", async () => {
      for (const partial of [
        "GET /healthz HTTP/1.1\r\nHost: catalog\r\nX-Slow: ",
        `POST ${rpcPath} HTTP/1.1\r\nHost: catalog\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"category":`,
      ]) {
        const conn = await connectRaw(catalogPort);
        conn.socket.write(partial);
        assert.ok(await within(conn.closed, bound), "closed in time");
        assert.match(conn.received().toString("latin1"), /^HTTP\/1\.1 408 /);
      }
    });

    it("holds at most 100 of 12,000 never-ending streams on one connection, and ends the connection", async () => {
      const conn = await openRawHttp2(catalogPort);
      const block = headerBlock({ ":method": "POST", ":scheme": "http", ":path": rpcPath, ":authority": "catalog", "content-type": "application/json" });
      for (let i = 0; i < 12_000; i++) conn.socket.write(frame(frameType.headers, flags.endHeaders, 1 + 2 * i, block));
      assert.ok(await within(conn.closed, 10_000), "the server ended the connection");
      const answered = new Set(conn.frames().filter((f) => f.type === frameType.headers).map((f) => f.streamId));
      assert.ok(answered.size <= 100, `at most 100 streams were served (${answered.size})`);
      assert.equal(await healthz(), 200);
    });

    it("past MAX_CONNECTIONS serves only the probes, past the probe budget closes new connections", async () => {
      const flood: RawConnection[] = [];
      try {
        for (let i = 0; i < 60; i++) flood.push(await connectRaw(catalogPort));
        const closedAtOnce = await Promise.all(flood.map((conn) => within(conn.closed, 300)));
        assert.ok(closedAtOnce.filter(Boolean).length >= 6, "connections past MAX_CONNECTIONS + PROBE_CONNECTIONS are closed at once");
        // Free two slots of the probe budget: a new connection may then ask for /healthz, not for an RPC.
        for (const conn of flood.filter((_, i) => !closedAtOnce[i]).slice(0, 2)) conn.socket.destroy();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const probe = await connectRaw(catalogPort);
        probe.socket.write("GET /healthz HTTP/1.1\r\nHost: catalog\r\nConnection: close\r\n\r\n");
        await within(probe.closed, bound);
        assert.match(probe.received().toString("latin1"), /^HTTP\/1\.1 200 /);
        const rpc = await connectRaw(catalogPort);
        rpc.socket.write(`POST ${rpcPath} HTTP/1.1\r\nHost: catalog\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
        await within(rpc.closed, bound);
        assert.match(rpc.received().toString("latin1"), /^HTTP\/1\.1 503 [^]*retry-after: 1/i);
      } finally {
        for (const conn of flood) conn.socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await healthz(), 200);
      const capLines = lines.filter(({ service, line }) => service === "catalog" && String(line.kind).startsWith("connection-limit"));
      assert.ok(capLines.length >= 1 && capLines.length <= 2, `the cap is logged once per kind, not per connection (${capLines.length})`);
    });

    it("answers malformed protobuf and a 0x80 gRPC frame with invalid_argument", async () => {
      const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]);
      const res = await fetch(`${catalog}${rpcPath}`, { method: "POST", headers: { "content-type": "application/proto" }, body: garbage });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { code: string }).code, "invalid_argument");
      assert.equal(await grpcStatusOf(catalog, rpcPath, 0x00, garbage), "3");
      assert.equal(await grpcStatusOf(catalog, rpcPath, 0x80, toBinary(ListProductsRequestSchema, create(ListProductsRequestSchema, {}))), "3");
    });

    it("answers an oversized body with resource_exhausted and deeply nested JSON with invalid_argument", async () => {
      const big = await fetch(`${catalog}${rpcPath}`, { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(10 * 1024 * 1024) });
      assert.equal(((await big.json()) as { code: string }).code, "resource_exhausted");
      const nested = await fetch(`${catalog}${rpcPath}`, { method: "POST", headers: { "content-type": "application/json" }, body: `{"category":${"[".repeat(200_000)}` });
      assert.equal(nested.status, 400);
      assert.equal(((await nested.json()) as { code: string }).code, "invalid_argument");
    });

    it("stayed within its memory bound, answers /healthz, and logged nothing at error", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const rssAfter = rssBytes(stack.processes.pid("catalog")!);
      console.log(`[hostile] catalog RSS before the abuse ${mib(rssBefore)}, after ${mib(rssAfter)}`);
      assert.ok(rssAfter - rssBefore < 64 * 1024 * 1024, `catalog grew by ${mib(rssAfter - rssBefore)}`);
      assert.equal(await healthz(), 200);
      assertNoErrorLines(lines);
    });
  });

  describe("abuse of the gateway", () => {
    it("answers an oversized body 413, too many query parameters 431, deeply nested JSON 400", async () => {
      const token = await devTokenFor("hostile");
      const post = (body: string, authorization = `Bearer ${token}`) =>
        fetch(`${gateway}/api/v1/orders`, { method: "POST", headers: { authorization, "content-type": "application/json", "idempotency-key": "k1" }, body });
      assert.equal((await post("x".repeat(10 * 1024 * 1024))).status, 413);
      assert.equal((await post(`{"items":${"[".repeat(60_000)}`)).status, 400);
      const query = Array.from({ length: 600 }, () => "product_id=0b5c6a43-8c1f-4d6e-9a2b-3c4d5e6f7a81").join("&");
      const many = await fetch(`${gateway}/api/v1/stock?${query}`);
      assert.equal(many.status, 431);
      assert.equal(many.headers.get("content-type"), "application/problem+json");
      assert.equal(await healthz(gateway), 200);
      assertNoErrorLines(lines);
    });
  });

  describe("then", () => {
    it("Schemathesis finds nothing wrong with the REST API, every check on", async () => {
      // Installed from PyPI by the project on first use; a machine that cannot get it fails here, not skips.
      const command = ensureSchemathesis();
      const token = await devTokenFor("fuzzer");
      const run = await runSchemathesis({
        command,
        schemaUrl: `${gateway}/api/v1/openapi.json`,
        headers: { Authorization: `Bearer ${token}` },
        maxExamples: Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? 20),
        seed: Number(process.env.SCHEMATHESIS_SEED ?? 1),
        timeoutMs: 300_000,
      });
      const summary = run.output.split("\n").filter((line) => /generated|passed|failed|failure|error/i.test(line)).slice(-3).join(" | ");
      console.log(`[hostile] schemathesis: ${summary.trim()}`);
      assert.equal(run.exitCode, 0, run.output.slice(-20_000));
      assertNoErrorLines(lines);
    });

    it("and the seven invariants still hold", async () => {
      const report: string[] = [];
      const verdict = await stack.verify([], (line) => report.push(line));
      assert.ok(verdict.pass, report.join("\n"));
    });
  });
});

function assertNoErrorLines(lines: Array<{ service: string; line: Record<string, unknown> }>): void {
  const bad = lines.filter(({ line }) => line.level === "error" || line.level === "fatal");
  assert.deepEqual(bad.slice(0, 5), [], "no line at error");
}


