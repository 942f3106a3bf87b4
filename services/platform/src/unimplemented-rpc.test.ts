// An RPC a port does not serve answers UNIMPLEMENTED in every protocol the
// port speaks (gRPC with proper trailers, gRPC-Web, Connect unary and
// streaming, over HTTP/1.1 and h2c), on a port with RPCs and on one with only
// HTTP routes (the gateway's shape), whose own 404s stay as they are.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import http2 from "node:http2";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { InventoryService } from "@meshmart/proto/inventory/v1/inventory_pb";
import { ensureTools } from "@meshmart/infra/tools";
import { startService, type RunningService } from "./service.ts";

// Built once per machine by ensure-tool.sh; a machine that cannot build it fails here, not skips.
const tools = await ensureTools(["grpcurl"]);

function transports(baseUrl: string): Record<string, Transport> {
  return {
    "Connect JSON, HTTP/1.1": createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
    "Connect binary, HTTP/1.1": createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }),
    "Connect GET, HTTP/1.1": createConnectTransport({ baseUrl, httpVersion: "1.1", useHttpGet: true }),
    "Connect binary, h2c": createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
    "gRPC, h2c": createGrpcTransport({ baseUrl }),
    "gRPC-Web, HTTP/1.1": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
    "gRPC-Web JSON, h2c": createGrpcWebTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false }),
  };
}

async function codeOf(call: () => Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call();
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

/** InventoryService is served by neither port below: every method of it is an unknown RPC there. */
async function assertUnimplemented(baseUrl: string, service: DescService = InventoryService) {
  for (const [name, transport] of Object.entries(transports(baseUrl))) {
    const client = createClient(service as typeof InventoryService, transport);
    assert.equal(await codeOf(() => client.getStock({ productIds: ["p"] })), Code.Unimplemented, `${name}, unary`);
    if (!name.includes("GET")) {
      // server streaming (Connect streaming framing, gRPC, gRPC-Web)
      assert.equal(
        await codeOf(async () => {
          for await (const _ of client.watchStock({})) void _;
        }),
        Code.Unimplemented,
        `${name}, server stream`,
      );
    }
  }
}

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }));
  });
}

describe("an RPC the port does not serve", () => {
  let rpcPort: RunningService;
  let httpPort: RunningService;
  before(async () => {
    const env = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" };
    rpcPort = await startService({ name: "catalog", rpc: (router) => router.service(CatalogService, { listProducts: () => ({ products: [] }) }) }, { env });
    httpPort = await startService(
      {
        name: "gateway",
        http: (app) =>
          app.use((ctx) => {
            ctx.status = 404;
            ctx.type = "application/problem+json";
            ctx.body = { status: 404, title: "Not Found" };
          }),
      },
      { env },
    );
  });
  after(async () => {
    await rpcPort.stop();
    await httpPort.stop();
  });

  it("is UNIMPLEMENTED over Connect, gRPC and gRPC-Web, HTTP/1.1 and h2c, unary and streaming", async () => {
    await assertUnimplemented(rpcPort.url);
  });

  it("is UNIMPLEMENTED on a port with HTTP routes only, whose own 404s are unchanged", async () => {
    await assertUnimplemented(httpPort.url);
    const rest = await fetch(`${httpPort.url}/api/v1/nothing`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(rest.status, 404);
    assert.equal(rest.headers.get("content-type"), "application/problem+json");
  });

  it("answers Connect unary with HTTP 404 and the Connect error body", async () => {
    const response = await fetch(`${rpcPort.url}/meshmart.inventory.v1.InventoryService/GetStock`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(response.status, 404);
    const body = (await response.json()) as { code: string; message: string };
    assert.equal(body.code, "unimplemented");
    assert.match(body.message, /InventoryService\/GetStock is not an RPC this port serves/);
  });

  it("answers gRPC (h2c) with a trailers-only response: HTTP 200, grpc-status 12, the stream ended by the headers", async () => {
    const session = http2.connect(rpcPort.url);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/meshmart.inventory.v1.InventoryService/GetStock", "content-type": "application/grpc", te: "trailers" });
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
      const [headers, flags] = (await once(stream, "response")) as [http2.IncomingHttpHeaders, number];
      assert.equal(headers[":status"], 200);
      assert.equal(headers["grpc-status"], String(Code.Unimplemented));
      assert.match(decodeURIComponent(String(headers["grpc-message"])), /InventoryService\/GetStock is not an RPC this port serves/);
      assert.ok(flags & http2.constants.NGHTTP2_FLAG_END_STREAM, "the HEADERS frame ends the stream");
    } finally {
      session.close();
    }
  });

  it("answers gRPC-Web (HTTP/1.1) with HTTP 200 and grpc-status 12 in the headers", async () => {
    const response = await fetch(`${httpPort.url}/meshmart.inventory.v1.InventoryService/GetStock`, { method: "POST", headers: { "content-type": "application/grpc-web+proto" }, body: new Uint8Array(5) });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("grpc-status"), String(Code.Unimplemented));
  });

  describe("grpcurl, without reflection", () => {
    // A proto of a method the catalog port does not have, beside a service it does not serve.
    const protoDir = mkdtempSync(join(tmpdir(), "meshmart-unimplemented-"));
    mkdirSync(join(protoDir, "x"));
    writeFileSync(
      join(protoDir, "x", "unknown.proto"),
      'syntax = "proto3";\npackage meshmart.catalog.v1;\nmessage M { string a = 1; }\nservice CatalogService { rpc NoSuchMethod(M) returns (M); }\nservice NoSuchService { rpc Get(M) returns (M); }\n',
    );
    for (const method of ["meshmart.catalog.v1.CatalogService/NoSuchMethod", "meshmart.catalog.v1.NoSuchService/Get"]) {
      it(`gets Code: Unimplemented with trailers for ${method}`, async () => {
        const result = await run(tools.grpcurl, ["-plaintext", "-use-reflection=false", "-import-path", protoDir, "-proto", "x/unknown.proto", "-d", "{}", `127.0.0.1:${rpcPort.port}`, method]);
        assert.equal(result.code, 64 + Code.Unimplemented, result.stderr); // grpcurl exits 64 + the status code
        assert.match(result.stderr, /Code: Unimplemented/);
        assert.doesNotMatch(result.stderr, /without sending trailers/);
      });
    }
  });
});
