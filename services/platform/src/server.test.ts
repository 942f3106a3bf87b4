// The one-port server against clients that misbehave: every connection that
// does not finish what it started is answered or closed within its limit,
// HTTP/2 streams and connections are capped, the probes stay answerable past
// the caps, and what clients cause is logged at most at info, rate-limited.
// Limits are set small so that each case takes well under a second.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { CatalogService, ListProductsRequestSchema } from "@meshmart/proto/catalog/v1/catalog_pb";
import { connectRaw, errorCode, flags, frame, frameType, grpcStatusOf, headerBlock, openRawHttp2, preface, within, type RawConnection } from "./raw-http2.ts";
import { startService, type RunningService } from "./service.ts";

const rpcPath = "/meshmart.catalog.v1.CatalogService/ListProducts";
const bound = 3_000; // "closed in time": well past each limit below, well short of forever

const limits = {
  HTTP_SNIFF_TIMEOUT_MS: "300",
  HTTP_HEADERS_TIMEOUT_MS: "300",
  HTTP_REQUEST_TIMEOUT_MS: "600",
  HTTP_KEEP_ALIVE_TIMEOUT_MS: "300",
  HTTP_MAX_REQUESTS_PER_CONNECTION: "3",
  HTTP2_IDLE_TIMEOUT_MS: "300",
  HTTP2_SETTINGS_TIMEOUT_MS: "300",
  HTTP2_MAX_CONCURRENT_STREAMS: "5",
  HTTP_MAX_HEADER_BYTES: "4096",
  HTTP_MAX_REQUEST_BYTES: "65536",
};

interface Bounded {
  service: RunningService;
  port: number;
  logs: Array<Record<string, unknown>>;
  /** ListProducts calls stalled now. */
  stalled(): number;
  /** Lets every stalled ListProducts call finish. */
  release(): void;
}

/** A catalog whose ListProducts stalls while `stall` is set, with small limits and its log lines collected. */
async function startBounded(env: Record<string, string> = {}): Promise<Bounded> {
  const logs: Array<Record<string, unknown>> = [];
  let waiting: Array<() => void> = [];
  let stall = env.STALL === "true";
  const service = await startService(
    {
      name: "catalog",
      rpc: (router) =>
        router.service(CatalogService, {
          async listProducts() {
            if (stall) await new Promise<void>((resolve) => waiting.push(resolve));
            return { products: [] };
          },
        }),
    },
    {
      env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "debug", ...limits, ...env },
      logDestination: { write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    },
  );
  return {
    service,
    port: service.port,
    logs,
    stalled: () => waiting.length,
    release() {
      stall = false;
      for (const resolve of waiting) resolve();
      waiting = [];
    },
  };
}

async function healthz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
}

/** Sends raw HTTP/1.1 bytes; resolves with what came back once the server closed. */
async function rawHttp1(port: number, bytes: string): Promise<{ text: string; closedAfterMs: number }> {
  const conn = await connectRaw(port);
  conn.socket.write(bytes);
  const closedAfterMs = await conn.closed;
  return { text: conn.received().toString("latin1"), closedAfterMs };
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

function bodyOf(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as Record<string, unknown>;
}

function assertNoErrorLines(logs: Array<Record<string, unknown>>): void {
  const bad = logs.filter((line) => line.level === "error" || line.level === "fatal");
  assert.deepEqual(bad, [], "no line at error");
}

describe("one-port server limits", () => {
  let s: Bounded;
  before(async () => {
    s = await startBounded();
  });
  after(() => s.service.stop());

  it("closes a connection that sends nothing within the sniff timeout", async () => {
    const conn = await connectRaw(s.port);
    assert.ok(await within(conn.closed, bound), "closed");
    assert.equal(conn.received().length, 0);
  });

  it("closes a connection that sends part of the HTTP/2 preface", async () => {
    const conn = await connectRaw(s.port);
    conn.socket.write(preface.subarray(0, 10));
    assert.ok(await within(conn.closed, bound), "closed");
  });

  it("serves HTTP/2 when the preface arrives split across packets", async () => {
    const conn = await connectRaw(s.port);
    for (const part of [preface.subarray(0, 1), preface.subarray(1, 9), preface.subarray(9)]) {
      conn.socket.write(part);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    conn.socket.write(frame(frameType.settings, 0, 0));
    const gotSettings = async () => {
      while (!conn.frames().some((f) => f.type === frameType.settings && (f.flags & flags.ack) === 0)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    assert.ok(await within(gotSettings(), bound), "server SETTINGS received");
    conn.socket.destroy();
  });

  it("serves HTTP/1.1 whose first bytes look like the preface (P...), split across packets", async () => {
    const conn = await connectRaw(s.port);
    conn.socket.write("P");
    await new Promise((resolve) => setTimeout(resolve, 20));
    conn.socket.write("OST /healthz HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert.ok(await within(conn.closed, bound), "answered and closed");
    // /healthz answers GET; a POST gets an HTTP/1.1 status line either way, which is what routing proves.
    assert.match(conn.received().toString("latin1"), /^HTTP\/1\.1 \d{3} /);
  });

  it("answers 408 with a problem body to HTTP/1.1 headers that never finish", async () => {
    const { text, closedAfterMs } = await rawHttp1(s.port, "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ");
    assert.ok(closedAfterMs < bound, `closed after ${closedAfterMs} ms`);
    assert.equal(statusOf(text), 408, text);
    assert.match(text, /content-type: application\/problem\+json/i);
    assert.equal(bodyOf(text).status, 408);
  });

  it("answers 408 to an HTTP/1.1 request whose body never finishes", async () => {
    const { text, closedAfterMs } = await rawHttp1(
      s.port,
      `POST ${rpcPath} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"pag`,
    );
    assert.ok(closedAfterMs < bound, `closed after ${closedAfterMs} ms`);
    assert.equal(statusOf(text), 408, text);
  });

  it("answers 431 with a problem body to an oversized request line", async () => {
    const query = Array.from({ length: 600 }, (_, i) => `product_id=${i}-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee`).join("&");
    const { text } = await rawHttp1(s.port, `GET /healthz?${query} HTTP/1.1\r\nHost: test\r\n\r\n`);
    assert.equal(statusOf(text), 431, text);
    assert.equal(bodyOf(text).title, "Request Header Fields Too Large");
  });

  it("closes an idle HTTP/1.1 keep-alive connection", async () => {
    const conn = await connectRaw(s.port);
    conn.socket.write("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
    assert.ok(await within(conn.closed, bound), "closed");
    assert.equal(statusOf(conn.received().toString("latin1")), 200);
  });

  it("ends an HTTP/1.1 connection after HTTP_MAX_REQUESTS_PER_CONNECTION requests", async () => {
    const request = "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";
    const { text } = await rawHttp1(s.port, request.repeat(4));
    const connections = [...text.matchAll(/^connection: (\S+)/gim)].map((m) => m[1]!.toLowerCase());
    assert.deepEqual(connections.slice(0, 3), ["keep-alive", "keep-alive", "close"], text);
  });

  it("ends an HTTP/2 connection that sends its preface and SETTINGS, then nothing, with SETTINGS_TIMEOUT", async () => {
    const conn = await connectRaw(s.port);
    conn.socket.write(Buffer.concat([preface, frame(frameType.settings, 0, 0)]));
    assert.ok(await within(conn.closed, bound), "closed");
    const goaway = conn.frames().find((f) => f.type === frameType.goaway);
    assert.ok(goaway, "GOAWAY sent");
    assert.equal(errorCode(goaway), http2.constants.NGHTTP2_SETTINGS_TIMEOUT);
  });

  it("sends GOAWAY to an idle HTTP/2 connection", async () => {
    const session = http2.connect(`http://127.0.0.1:${s.port}`);
    session.on("error", () => {});
    const goaway = new Promise((resolve) => session.once("goaway", resolve));
    assert.ok(await within(goaway, bound), "GOAWAY within the idle timeout");
    session.destroy();
  });

  it("answers 408 to an HTTP/2 stream whose request never ends", async () => {
    const session = http2.connect(`http://127.0.0.1:${s.port}`);
    session.on("error", () => {});
    const stream = session.request({ ":method": "POST", ":path": rpcPath, "content-type": "application/json" }, { endStream: false });
    stream.write('{"pageSize"');
    const status = await new Promise<number>((resolve, reject) => {
      stream.once("response", (headers) => resolve(headers[":status"]!));
      stream.once("error", reject);
    });
    assert.equal(status, 408);
    session.destroy();
  });

  it("caps the streams one HTTP/2 connection may hold open (endless streams)", async () => {
    const conn = await openRawHttp2(s.port);
    await waitFor(() => conn.frames().some((f) => f.type === frameType.settings));
    // 50 streams that never send END_STREAM, far past the limit of 5.
    for (let i = 0; i < 50; i++) conn.socket.write(frame(frameType.headers, flags.endHeaders, 1 + 2 * i, rpcHeaders()));
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the request timeout of the admitted ones
    const frames = conn.frames();
    const answered = new Set(frames.filter((f) => f.type === frameType.headers).map((f) => f.streamId));
    const refused = frames.filter((f) => f.type === frameType.rstStream || f.type === frameType.goaway);
    assert.ok(answered.size <= 5, `at most 5 streams got an answer (${answered.size})`);
    assert.ok(refused.length > 0, "streams past the limit are refused (nghttp2 ends the connection: GOAWAY PROTOCOL_ERROR)");
    conn.socket.destroy();
    assert.equal(await healthz(s.port), 200);
  });

  it("answers 431 to an HTTP/2 request whose headers are larger than the limit", async () => {
    const session = http2.connect(`http://127.0.0.1:${s.port}`);
    session.on("error", () => {});
    const stream = session.request({ ":path": "/healthz", "x-big": "x".repeat(8_000) });
    stream.resume();
    const status = await new Promise<number>((resolve, reject) => {
      stream.once("response", (headers) => resolve(headers[":status"]!));
      stream.once("error", reject);
    });
    assert.equal(status, 431);
    session.destroy();
  });

  it("answers undecodable protobuf with invalid_argument over Connect and gRPC", async () => {
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]);
    const res = await fetch(`http://127.0.0.1:${s.port}${rpcPath}`, { method: "POST", headers: { "content-type": "application/proto" }, body: garbage });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: string }).code, "invalid_argument");
    assert.equal(await grpcStatusOf(`http://127.0.0.1:${s.port}`, rpcPath, 0x00, garbage), "3");
  });

  it("refuses a gRPC frame with flag 0x80 with invalid_argument, and still decodes a good one", async () => {
    const good = toBinary(ListProductsRequestSchema, create(ListProductsRequestSchema, { pageSize: 3 }));
    assert.equal(await grpcStatusOf(`http://127.0.0.1:${s.port}`, rpcPath, 0x80, good), "3");
    assert.equal(await grpcStatusOf(`http://127.0.0.1:${s.port}`, rpcPath, 0x00, good), "0");
  });

  it("answers /healthz after all of the above, and logged nothing at error", async () => {
    assert.equal(await healthz(s.port), 200);
    assertNoErrorLines(s.logs);
    const kinds = new Set(s.logs.map((line) => line.kind));
    for (const kind of ["sniff-timeout", "http1-408", "http1-431", "http2-431", "http2-settings-timeout", "request-timeout"]) assert.ok(kinds.has(kind), `logged ${kind}`);
    assert.ok(s.logs.filter((line) => line.kind).every((line) => line.level === "info" || line.level === "debug" || line.level === "warn"));
  });
});

describe("one-port server caps", () => {
  it("past MAX_CONNECTIONS serves only the probes, past the probe budget closes; logs the cap once", async () => {
    const s = await startBounded({ MAX_CONNECTIONS: "4", PROBE_CONNECTIONS: "2", HTTP_SNIFF_TIMEOUT_MS: "20000", HTTP_HEADERS_TIMEOUT_MS: "20000", HTTP_REQUEST_TIMEOUT_MS: "20000" });
    const idle: RawConnection[] = [];
    try {
      for (let i = 0; i < 4; i++) idle.push(await connectRaw(s.port));
      // The fifth connection is past the cap: an RPC on it is refused, a probe is answered.
      const rpc = await rawHttp1(s.port, `POST ${rpcPath} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
      assert.equal(statusOf(rpc.text), 503, rpc.text);
      assert.match(rpc.text, /retry-after: 1/i);
      for (let i = 0; i < 3; i++) assert.equal(await healthz(s.port), 200, "probe past the cap");
      // Fill the probe budget too: then a new connection is closed at once.
      for (let i = 0; i < 2; i++) idle.push(await connectRaw(s.port));
      const extra = await connectRaw(s.port);
      assert.ok(await within(extra.closed, bound), "closed past the probe budget");
      assert.equal(extra.received().length, 0);
      const capLines = s.logs.filter((line) => line.kind === "connection-limit");
      assert.equal(capLines.length, 1, "the cap is logged once, not per connection");
      assert.equal(capLines[0]!.level, "warn");
    } finally {
      for (const conn of idle) conn.socket.destroy();
      await s.service.stop();
    }
  });

  it("past MAX_CONCURRENT_REQUESTS refuses RPCs (503, REFUSED_STREAM) but answers the probes", async () => {
    const s = await startBounded({ MAX_CONCURRENT_REQUESTS: "2", STALL: "true" });
    try {
      const stalled = [1, 2].map(() => fetch(`http://127.0.0.1:${s.port}${rpcPath}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));
      await waitFor(() => s.stalled() === 2);
      const third = await fetch(`http://127.0.0.1:${s.port}${rpcPath}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(third.status, 503);
      assert.equal(third.headers.get("retry-after"), "1");
      const session = http2.connect(`http://127.0.0.1:${s.port}`);
      session.on("error", () => {});
      const stream = session.request({ ":method": "POST", ":path": rpcPath, "content-type": "application/json" });
      stream.on("error", () => {});
      stream.end("{}");
      await new Promise((resolve) => stream.once("close", resolve));
      assert.equal(stream.rstCode, http2.constants.NGHTTP2_REFUSED_STREAM);
      session.destroy();
      assert.equal(await healthz(s.port), 200);
      assert.equal((await fetch(`http://127.0.0.1:${s.port}/metrics`)).status, 200);
      s.release();
      assert.deepEqual(await Promise.all(stalled.map(async (r) => (await r).status)), [200, 200]);
      assert.equal(s.logs.filter((line) => line.kind === "request-limit").length, 1);
    } finally {
      s.release();
      await s.service.stop();
    }
  });
});


function rpcHeaders(): Buffer {
  return headerBlock({ ":method": "POST", ":scheme": "http", ":path": rpcPath, ":authority": "test", "content-type": "application/json" });
}


async function waitFor(probe: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
