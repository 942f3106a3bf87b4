// Mounts Connect-RPC handlers in Koa. Paths the router knows are answered by
// Connect (Connect, gRPC and gRPC-Web); anything else falls through to the
// next Koa middleware, so ordinary routes live beside the RPCs. It does what
// connectNodeAdapter does, plus: JSON knows every type of the served files (a
// google.protobuf.Any in a message or an error detail encodes as JSON); request bodies are checked first
// (request-checks.ts), and a response that cannot be written (the client went
// away) is logged through the rate-limited log, not printed to stderr.
import { createMutableRegistry } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type Koa from "koa";
import type { LogLimiter } from "./log-limiter.ts";
import { checkedRequestBody } from "./request-checks.ts";
import { withImports } from "./served-files.ts";

export function connectMiddleware(options: {
  routes: (router: ConnectRouter) => void;
  interceptors?: Interceptor[];
  /** Largest request message accepted, in bytes. */
  readMaxBytes: number;
  log: LogLimiter;
}): Koa.Middleware {
  // JSON can carry a google.protobuf.Any of every message the served files declare (filled once the routes are in).
  const registry = createMutableRegistry();
  const router = createConnectRouter({
    interceptors: options.interceptors,
    readMaxBytes: options.readMaxBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
    jsonOptions: { registry },
  });
  options.routes(router);
  for (const file of withImports(router.handlers.map((h) => h.service.file))) for (const type of nestedTypes(file)) registry.add(type);
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((handler) => [handler.requestPath, handler]));

  return async (ctx, next) => {
    const handler = handlers.get(ctx.path);
    if (!handler) {
      await next();
      return;
    }
    ctx.respond = false; // Connect writes the response itself
    const req = ctx.req;
    const res = ctx.res;
    const request = universalRequestFromNodeRequest(req, res, undefined, undefined);
    request.body = checkedRequestBody(request.body as AsyncIterable<Uint8Array>, request.header, handler.method.input, options.readMaxBytes);
    try {
      await universalResponseToNodeResponse(await handler(request), res);
    } catch (err) {
      const error = ConnectError.from(err);
      // Aborted: the client hung up or reset the stream; nothing to answer.
      const level = error.code === Code.Aborted || res.destroyed ? "debug" : "error";
      options.log.log(level, `rpc-write-${handler.method.name}`, { rpc: `${handler.service.typeName}/${handler.method.name}`, err: error.message }, "could not write the RPC response");
    }
  };
}
