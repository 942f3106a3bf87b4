// One port for everything: Connect, gRPC and gRPC-Web over HTTP/1.1 and
// cleartext HTTP/2 (h2c), plus health and metrics. Node's http2 server refuses
// HTTP/1.1 on cleartext, so we read the first bytes of each connection and
// hand the socket to the HTTP/2 server when they are the HTTP/2 preface.
//
// Every connection is bounded (server-limits.ts): it must say what it is
// within a deadline, send its headers and its whole request within deadlines,
// may hold a limited number of HTTP/2 streams, and goes when idle. The process
// holds a limited number of connections and requests; past those, only the
// probes (/healthz, /readyz, /metrics, grpc.health.v1 Check) are still answered.
import { randomUUID } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { AddressInfo } from "node:net";
import type Koa from "koa";
import { LogLimiter } from "./log-limiter.ts";
import type { Logger } from "./logger.ts";
import type { ServerLimits } from "./server-limits.ts";

const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Routes that stay answerable when connections or requests are at their cap. */
export const probePaths: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"]);
/** grpc.health.v1 Check (grpc-health.ts) is a probe too, over gRPC. */
const grpcHealthCheckPath = "/grpc.health.v1.Health/Check";

export interface ListenOptions {
  port: number;
  host?: string;
  limits: ServerLimits;
  logger: Logger;
}

export interface DualProtocolServer {
  readonly port: number;
  /** Connections open now. */
  readonly connections: number;
  /** Requests (HTTP/1.1 requests and HTTP/2 streams) being served now, probes included. */
  readonly inFlight: number;
  /** Stops accepting, lets in-flight requests finish (up to `timeoutMs`), then closes every connection. */
  close(timeoutMs: number): Promise<void>;
}

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

export async function listen(app: Koa, options: ListenOptions): Promise<DualProtocolServer> {
  const { limits, logger } = options;
  const log = new LogLimiter(logger);
  const koaCallback = app.callback();
  // Connections past MAX_CONNECTIONS (the probe budget) and their HTTP/2 sessions.
  const probeOnlySockets = new WeakSet<net.Socket>();
  const probeOnlySessions = new WeakSet<http2.Http2Session>();

  // Requests in flight: all of them (close() waits for exactly them) and those the cap counts.
  let inFlight = 0;
  let capped = 0;
  let onIdle: (() => void) | undefined;
  let closing = false;
  const callback = (req: NodeRequest, res: NodeResponse) => {
    // Node advertises SETTINGS_MAX_HEADER_LIST_SIZE but does not enforce it on what arrives.
    if (req instanceof http2.Http2ServerRequest && headerListSize(req.rawHeaders) > limits.HTTP_MAX_HEADER_BYTES) {
      log.log("info", "http2-431", { limit: limits.HTTP_MAX_HEADER_BYTES }, "refused an HTTP/2 request with headers over HTTP_MAX_HEADER_BYTES");
      (res as http2.Http2ServerResponse).writeHead(431, problemHeaders());
      res.end(problemJson(431, clientErrorDetail(431), pathOf(req)));
      return;
    }
    const probe = ((req.method === "GET" || req.method === "HEAD") && probePaths.has(pathOf(req))) || (req.method === "POST" && pathOf(req) === grpcHealthCheckPath);
    if (!probe) {
      const probeOnly = req instanceof http2.Http2ServerRequest ? probeOnlySessions.has(req.stream.session!) : probeOnlySockets.has(req.socket);
      if (probeOnly) return refuse(req, res, "this connection is past the connection limit and may only ask for /healthz, /readyz or /metrics");
      if (capped >= limits.MAX_CONCURRENT_REQUESTS) {
        log.log("warn", "request-limit", { limit: limits.MAX_CONCURRENT_REQUESTS }, "request limit reached (MAX_CONCURRENT_REQUESTS): refusing requests until some finish");
        return refuse(req, res, "the service is serving as many requests as it may at once; retry shortly");
      }
      capped++;
    }
    inFlight++;
    if (closing && req.httpVersionMajor === 1) res.setHeader("connection", "close");
    if (req instanceof http2.Http2ServerRequest) armStreamDeadline(req, res as http2.Http2ServerResponse);
    res.once("close", () => {
      inFlight--;
      if (!probe) capped--;
      if (inFlight === 0) onIdle?.();
    });
    void koaCallback(req, res);
  };

  /** HTTP/2 has no request timeout of its own: a stream must have sent all of its request by the deadline. */
  const armStreamDeadline = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const timer = setTimeout(() => {
      const state = req.stream.state?.state;
      if (state === undefined || state >= http2.constants.NGHTTP2_STREAM_STATE_HALF_CLOSED_REMOTE) return; // all of it came
      log.log("info", "request-timeout", { protocol: "h2", timeoutMs: limits.HTTP_REQUEST_TIMEOUT_MS }, "request not received in time (HTTP_REQUEST_TIMEOUT_MS)");
      if (!res.headersSent) {
        res.writeHead(408, problemHeaders());
        res.end(problemJson(408, "the request did not arrive within the request timeout", pathOf(req)));
      } else {
        req.stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    }, limits.HTTP_REQUEST_TIMEOUT_MS);
    const clear = () => clearTimeout(timer);
    res.once("finish", clear);
    res.once("close", clear);
  };

  /** 503 on HTTP/1.1 (and the connection closes); REFUSED_STREAM on HTTP/2, which tells the client nothing was processed. */
  const refuse = (req: NodeRequest, res: NodeResponse, detail: string) => {
    if (req instanceof http2.Http2ServerRequest) {
      req.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    (res as http.ServerResponse).writeHead(503, { ...problemHeaders(), "retry-after": "1", connection: "close" });
    res.end(problemJson(503, detail, pathOf(req)));
  };

  const h1 = http.createServer(
    {
      keepAliveTimeout: limits.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: limits.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: limits.HTTP_REQUEST_TIMEOUT_MS,
      maxHeaderSize: limits.HTTP_MAX_HEADER_BYTES,
      // Node checks the two timeouts on this interval (30 s by default): check often enough that they hold.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(limits.HTTP_HEADERS_TIMEOUT_MS / 4))),
    },
    callback,
  );
  h1.maxRequestsPerSocket = limits.HTTP_MAX_REQUESTS_PER_CONNECTION;
  // Node arms its headers and request timeouts (and the connection list that
  // closeIdleConnections() walks) when a server starts listening. This one
  // never listens (it is handed sockets), so start them as listening would.
  h1.emit("listening");
  h1.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const status = clientErrorStatus(err.code);
    if (err.code !== "ECONNRESET") {
      log.log("info", `http1-${status}`, { status, code: err.code, client: socket.remoteAddress }, "refused a malformed, oversized or late HTTP/1.1 request");
    }
    // As Node does: answer only when no response has started on this socket.
    const pending = (socket as net.Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !pending?.headersSent) socket.write(rawResponse(status, clientErrorDetail(status)));
    socket.destroy();
  });

  const h2 = http2.createServer(
    {
      settings: {
        maxConcurrentStreams: limits.HTTP2_MAX_CONCURRENT_STREAMS,
        maxHeaderListSize: limits.HTTP_MAX_HEADER_BYTES,
      },
    },
    callback as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  let routing: net.Socket | undefined; // the socket being handed to the HTTP/2 server right now
  h2.on("session", (session) => {
    sessions.add(session);
    if (routing && probeOnlySockets.has(routing)) probeOnlySessions.add(session);
    // A client that never acknowledges our SETTINGS (preface, SETTINGS, then silence) is gone.
    const settingsTimer = setTimeout(() => {
      log.log("info", "http2-settings-timeout", { timeoutMs: limits.HTTP2_SETTINGS_TIMEOUT_MS }, "HTTP/2 client did not acknowledge SETTINGS in time (HTTP2_SETTINGS_TIMEOUT_MS)");
      const timedOut = Object.assign(new Error("SETTINGS not acknowledged in time"), { code: "ERR_HTTP2_SETTINGS_TIMEOUT" });
      session.destroy(timedOut, http2.constants.NGHTTP2_SETTINGS_TIMEOUT);
    }, limits.HTTP2_SETTINGS_TIMEOUT_MS);
    session.once("localSettings", () => clearTimeout(settingsTimer));
    // Idle: no frame for the idle timeout while no stream is open. Open streams have deadlines of their own.
    let openStreams = 0;
    session.on("stream", (stream) => {
      openStreams++;
      stream.once("close", () => openStreams--);
    });
    session.setTimeout(limits.HTTP2_IDLE_TIMEOUT_MS, () => {
      if (openStreams === 0) session.close();
    });
    session.on("error", (err: NodeJS.ErrnoException) => {
      log.log("info", "http2-session-error", { code: err.code, err: err.message }, "HTTP/2 session error");
    });
    session.once("close", () => {
      clearTimeout(settingsTimer);
      sessions.delete(session);
    });
  });

  let refusedConnections = 0;
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy()); // resets and the like: the socket just goes
    if (sockets.size >= limits.MAX_CONNECTIONS + limits.PROBE_CONNECTIONS) {
      refusedConnections++;
      socket.destroy();
      log.log("warn", "connection-limit-refused", { open: sockets.size, refusedConnections }, "connection limit and probe budget reached (MAX_CONNECTIONS + PROBE_CONNECTIONS): closing new connections");
      return;
    }
    if (sockets.size >= limits.MAX_CONNECTIONS) {
      probeOnlySockets.add(socket);
      log.log("warn", "connection-limit", { open: sockets.size, limit: limits.MAX_CONNECTIONS }, "connection limit reached (MAX_CONNECTIONS): new connections may only ask for /healthz, /readyz and /metrics");
    }
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    sniff(socket, limits.HTTP_SNIFF_TIMEOUT_MS, (protocol) => {
      if (protocol === "timeout") {
        log.log("info", "sniff-timeout", { timeoutMs: limits.HTTP_SNIFF_TIMEOUT_MS }, "connection sent no request in time (HTTP_SNIFF_TIMEOUT_MS)");
        socket.destroy();
      } else if (protocol === "h2") {
        routing = socket;
        h2.emit("connection", socket);
        routing = undefined;
      } else {
        h1.emit("connection", socket);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  const bound = (tcp.address() as AddressInfo).port;

  return {
    port: bound,
    get connections() {
      return sockets.size;
    },
    get inFlight() {
      return inFlight;
    },
    async close(timeoutMs) {
      closing = true;
      const stopped = new Promise<void>((resolve) => tcp.close(() => resolve()));
      // HTTP/1.1: idle keep-alive connections go now; busy ones answer with "connection: close".
      h1.closeIdleConnections();
      // HTTP/2: GOAWAY lets open streams finish and refuses new ones.
      for (const session of sessions) session.close();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          onIdle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      // Let connections flush their last frames and close on their own (an HTTP/2
      // session closes after GOAWAY once its streams end); then cut what is left.
      h1.closeIdleConnections();
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      for (const socket of sockets) socket.destroy();
      await stopped;
      h1.close(); // stops the timeout checker started above
    },
  };
}

/** The size of a header list as HTTP/2 counts it (RFC 9113 §6.5.2): name, value and 32 bytes per field. */
function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) size += rawHeaders[i]!.length + rawHeaders[i + 1]!.length + 32;
  return size;
}

function pathOf(req: NodeRequest): string {
  return (req.url ?? "").split("?", 1)[0]!;
}

/**
 * Waits for enough bytes to tell the HTTP/2 preface from an HTTP/1.1 request
 * line, or for the deadline.
 */
function sniff(socket: net.Socket, timeoutMs: number, route: (protocol: "h1" | "h2" | "timeout") => void): void {
  let seen = Buffer.alloc(0);
  const timer = setTimeout(() => {
    socket.off("data", onData);
    route("timeout");
  }, timeoutMs);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, h2Preface.length);
    const matches = seen.subarray(0, n).equals(h2Preface.subarray(0, n));
    if (matches && seen.length < h2Preface.length) return; // need more bytes to decide
    clearTimeout(timer);
    socket.off("data", onData);
    socket.pause();
    // Give the bytes back: both servers read what is buffered before the wire.
    socket.unshift(seen);
    route(matches ? "h2" : "h1");
    // HTTP/1.1 reads through the stream API and needs it flowing again; HTTP/2
    // reads the socket's handle directly and must not have the stream consume it.
    if (!matches) socket.resume();
  };
  socket.on("data", onData);
  socket.once("close", () => clearTimeout(timer));
}

function clientErrorStatus(code: string | undefined): number {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return 431;
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return 408;
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return 413;
    default:
      return 400;
  }
}

function clientErrorDetail(status: number): string {
  switch (status) {
    case 431:
      return "the request line and headers are larger than the server accepts (a URL with too many query parameters?)";
    case 408:
      return "the request did not arrive within the headers or request timeout";
    case 413:
      return "the request's chunk extensions are too large";
    default:
      return "the request is not valid HTTP/1.1";
  }
}

const problemHeaders = () => ({ "content-type": "application/problem+json", "cache-control": "no-store" });

/**
 * The RFC 9457 body of a request refused before any route saw it; `code` is
 * the Connect code a gateway problem would carry.
 */
export function problemJson(status: number, detail: string, instance = ""): string {
  const code = status === 503 ? "unavailable" : status === 408 ? "deadline_exceeded" : status === 400 ? "invalid_argument" : "resource_exhausted";
  // A fresh id, so that a caller quoting it can be told this never reached a route.
  return JSON.stringify({ type: "about:blank", title: http.STATUS_CODES[status] ?? "Error", status, detail, instance, code, requestId: randomUUID() });
}

function rawResponse(status: number, detail: string): string {
  const body = problemJson(status, detail);
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
    `Content-Type: application/problem+json\r\nCache-Control: no-store\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
