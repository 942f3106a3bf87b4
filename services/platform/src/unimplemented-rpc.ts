// An RPC this port does not serve gets UNIMPLEMENTED in its own protocol,
// instead of Koa's plain 404 (which a gRPC client reads as "server closed the
// stream without sending trailers"):
// - gRPC and gRPC-Web (any path): HTTP 200, a trailers-only response with
//   grpc-status 12 and grpc-message;
// - Connect streaming (application/connect+...): HTTP 200 and an end-stream
//   message carrying the error;
// - Connect unary (POST application/json or application/proto, or GET with
//   connect=v1, on a /package.Service/Method path): HTTP 404 with the Connect
//   error body {"code": "unimplemented", ...}.
// Mounted after the RPCs and before a service's own routes; anything else
// (the gateway's REST paths included) passes by.
import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { endStreamFlag, endStreamToJson, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type Koa from "koa";

const rpcPath = /^\/[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+\/[A-Za-z_][\w]*$/;

export function unimplementedRpcs(): Koa.Middleware {
  return async (ctx, next) => {
    const type = (ctx.get("content-type") || "").toLowerCase();
    const protocol = protocolOf(ctx.method, type, ctx.path, ctx.query["connect"]);
    if (!protocol) {
      await next();
      return;
    }
    const error = new ConnectError(`${ctx.path} is not an RPC this port serves`, Code.Unimplemented);
    ctx.respond = false;
    switch (protocol) {
      case "grpc":
      case "grpc-web": {
        const headers = setTrailerStatus(new Headers({ "content-type": type.split(";")[0]! }), error);
        trailersOnly(ctx, Object.fromEntries(headers));
        return;
      }
      case "connect-stream": {
        const endStream = new TextEncoder().encode(JSON.stringify(endStreamToJson(new Headers(), error, undefined)));
        write(ctx, 200, { "content-type": type.split(";")[0]! }, encodeEnvelope(endStreamFlag, endStream));
        return;
      }
      case "connect-unary":
        write(ctx, 404, { "content-type": "application/json" }, errorToJsonBytes(error, {}));
        return;
    }
  };
}

type Protocol = "grpc" | "grpc-web" | "connect-stream" | "connect-unary";

function protocolOf(method: string, type: string, path: string, connectQuery: unknown): Protocol | undefined {
  if (/^application\/grpc-web(-text)?(\+|;|$)/.test(type)) return "grpc-web";
  if (/^application\/grpc(\+|;|$)/.test(type)) return "grpc";
  if (method === "POST" && /^application\/connect\+/.test(type)) return "connect-stream";
  if (!rpcPath.test(path)) return undefined;
  if (method === "POST" && /^application\/(json|proto)(;|$)/.test(type)) return "connect-unary";
  if (method === "GET" && connectQuery === "v1") return "connect-unary";
  return undefined;
}

/** gRPC's trailers-only response: one HEADERS frame that ends the stream (HTTP/1.1: the headers and no body). */
function trailersOnly(ctx: Koa.Context, headers: Record<string, string>): void {
  const req = ctx.req as unknown as http2.Http2ServerRequest;
  if (req.stream && !req.stream.destroyed && !req.stream.headersSent) {
    req.stream.respond({ ":status": 200, ...headers }, { endStream: true });
    return;
  }
  write(ctx, 200, headers, new Uint8Array(0));
}

function write(ctx: Koa.Context, status: number, headers: Record<string, string>, body: Uint8Array): void {
  ctx.res.writeHead(status, { ...headers, "content-length": String(body.byteLength) });
  ctx.res.end(body);
}
