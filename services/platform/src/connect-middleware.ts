// Mounts Connect-RPC handlers in Koa. Paths the router knows are answered by
// connectNodeAdapter (Connect, gRPC and gRPC-Web); anything else falls through
// to the next Koa middleware, so ordinary routes live beside the RPCs.
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type Koa from "koa";

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

export function connectMiddleware(options: {
  routes: (router: ConnectRouter) => void;
  interceptors?: Interceptor[];
  /** Largest request message accepted, in bytes. */
  readMaxBytes?: number;
}): Koa.Middleware {
  // The adapter is built once; its fallback finds the waiting request here.
  const fellThrough = new WeakMap<NodeRequest, () => void>();
  const handle = connectNodeAdapter({
    routes: options.routes,
    interceptors: options.interceptors,
    readMaxBytes: options.readMaxBytes ?? 4 * 1024 * 1024,
    fallback: (req) => fellThrough.get(req)?.(),
  });

  return async (ctx, next) => {
    const req = ctx.req as NodeRequest;
    const res = ctx.res as NodeResponse;
    const handled = await new Promise<boolean>((resolve) => {
      fellThrough.set(req, () => resolve(false));
      res.once("close", () => resolve(true));
      res.once("finish", () => resolve(true));
      ctx.respond = false; // Connect writes the response itself
      handle(req as IncomingMessage, res as ServerResponse);
    });
    fellThrough.delete(req);
    if (!handled) {
      ctx.respond = true;
      await next();
    }
  };
}
