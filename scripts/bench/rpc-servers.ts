// The servers the RPC benchmark compares, each run as a child process of its
// own (so its CPU time is its own): `platform` is a meshmart service (Koa, the
// Connect adapter, validation, metrics, logging, limits) on one port for
// HTTP/1.1 and h2c; `connect` is a bare connect-node server (connectNodeAdapter
// on node:http and node:http2, no middleware); `raw` answers the same bytes
// from plain node:http and node:http2 handlers. All of them serve
// CatalogService.GetProduct with the same code behind it: the id
// `noDatabaseProductId` is answered from memory (the no-database call), any
// other id by catalog's own handler, one SELECT.
//
// Started by rpc-bench.ts: `node --import tsx rpc-servers.ts <kind>`, with
// DATABASE_URL (a catalog database) and KAFKA_BROKERS in the environment. It
// sends { ports } on its IPC channel and answers "cpu" with process.cpuUsage().
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { catalogService, createCatalogService } from "@meshmart/catalog";
import { Database, Outbox, startService } from "@meshmart/platform";
import {
  CatalogService,
  GetProductRequestSchema,
  GetProductResponseSchema,
  ProductSchema,
  type GetProductResponse,
} from "@meshmart/proto/catalog/v1/catalog_pb";

export type ServerKind = "platform" | "connect" | "raw";

/** The product id answered without the database. */
export const noDatabaseProductId = "00000000-0000-4000-8000-000000000000";

const inMemory = create(GetProductResponseSchema, {
  product: create(ProductSchema, {
    id: noDatabaseProductId,
    sku: "BENCH-NO-DB",
    name: "Answered from memory",
    description: "The RPC benchmark's no-database call.",
    price: { currencyCode: "EUR", unitsMinor: 1234n },
    category: "bench",
  }),
});

function implementation(db: Database): ServiceImpl<typeof CatalogService> {
  const real = createCatalogService(db, new Outbox("/meshmart/bench"));
  return {
    ...real,
    getProduct: (req, context) => (req.id === noDatabaseProductId ? Promise.resolve(inMemory) : real.getProduct(req, context)),
  };
}

async function listenOn(server: http.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function answerRaw(impl: ServiceImpl<typeof CatalogService>, id: string): Promise<GetProductResponse> {
  return create(GetProductResponseSchema, (await impl.getProduct(create(GetProductRequestSchema, { id }), undefined as never)) as GetProductResponse);
}

async function readBody(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function start(kind: ServerKind): Promise<Record<string, number>> {
  const databaseUrl = process.env.DATABASE_URL!;
  if (kind === "platform") {
    const running = await startService({
      ...catalogService,
      rpc: (router, runtime) => router.service(CatalogService, implementation(runtime.db)),
    }, { env: { ...process.env, PORT: "0", HOST: "127.0.0.1" } });
    return { h1: running.port, h2: running.port };
  }
  const db = new Database(databaseUrl, undefined, 10);
  const impl = implementation(db);
  if (kind === "connect") {
    const handler = connectNodeAdapter({ routes: (router) => router.service(CatalogService, impl) });
    return { h1: await listenOn(http.createServer(handler)), h2: await listenOn(http2.createServer(handler)) };
  }
  // raw: the same messages decoded and encoded by hand, nothing else.
  const h1 = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const json = (req.headers["content-type"] ?? "").startsWith("application/json");
      const request = json ? fromJsonString(GetProductRequestSchema, body.toString("utf8")) : fromBinary(GetProductRequestSchema, body);
      const answer = await answerRaw(impl, request.id);
      const out = json ? Buffer.from(toJsonString(GetProductResponseSchema, answer)) : Buffer.from(toBinary(GetProductResponseSchema, answer));
      res.writeHead(200, { "content-type": json ? "application/json" : "application/proto", "content-length": out.length });
      res.end(out);
    })();
  });
  const h2 = http2.createServer();
  h2.on("stream", (stream) => {
    void (async () => {
      const body = await readBody(stream as AsyncIterable<Buffer>);
      const request = fromBinary(GetProductRequestSchema, body.subarray(5, 5 + body.readUInt32BE(1)));
      const message = toBinary(GetProductResponseSchema, await answerRaw(impl, request.id));
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame);
    })();
  });
  return { h1: await listenOn(h1), h2: await listenOn(h2) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kind = process.argv[2] as ServerKind;
  const ports = await start(kind);
  process.on("message", (message) => {
    if (message === "cpu") process.send?.({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
  });
  process.on("SIGTERM", () => process.exit(0)); // exits normally: a --cpu-prof profile gets written
  process.send?.({ ports });
}
