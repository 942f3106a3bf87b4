// One port for everything: Connect, gRPC and gRPC-Web over HTTP/1.1 and
// cleartext HTTP/2 (h2c), plus health and metrics. Node's http2 server refuses
// HTTP/1.1 on cleartext, so we read the first bytes of each connection and
// hand the socket to the HTTP/2 server when they are the HTTP/2 preface.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { AddressInfo } from "node:net";
import type Koa from "koa";

const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface DualProtocolServer {
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish (up to `timeoutMs`), then closes every connection. */
  close(timeoutMs: number): Promise<void>;
}

export async function listen(app: Koa, port: number, host = "0.0.0.0"): Promise<DualProtocolServer> {
  const koaCallback = app.callback();
  // Count requests in flight so that close() can wait for exactly them.
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  let closing = false;
  const callback = (req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    if (closing && req.httpVersionMajor === 1) res.setHeader("connection", "close");
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) onIdle?.();
    });
    void koaCallback(req, res);
  };
  const h1 = http.createServer({ keepAliveTimeout: 65_000 }, callback);
  const h2 = http2.createServer({}, callback as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    sniff(socket, (isH2) => (isH2 ? h2 : h1).emit("connection", socket));
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => resolve());
  });
  const bound = (tcp.address() as AddressInfo).port;

  return {
    port: bound,
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
    },
  };
}

/** Waits for enough bytes to tell the HTTP/2 preface from an HTTP/1.1 request line. */
function sniff(socket: net.Socket, route: (isH2: boolean) => void): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, h2Preface.length);
    const matches = seen.subarray(0, n).equals(h2Preface.subarray(0, n));
    if (matches && seen.length < h2Preface.length) return; // need more bytes to decide
    socket.off("data", onData);
    socket.pause();
    // Give the bytes back: both servers read what is buffered before the wire.
    socket.unshift(seen);
    route(matches);
    // HTTP/1.1 reads through the stream API and needs it flowing again; HTTP/2
    // reads the socket's handle directly and must not have the stream consume it.
    if (!matches) socket.resume();
  };
  socket.on("data", onData);
  socket.once("error", () => socket.destroy());
}
