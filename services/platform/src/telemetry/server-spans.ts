// A SERVER span for every request a service port serves, except its probes
// (/healthz, /readyz, /metrics): the caller's trace continues from its
// traceparent. The span is named once the request is understood: an RPC as
// `<package.Service>/<Method>` (rpcServerSpans, an interceptor inside
// Connect), a REST route as `<METHOD> <template>` from `ctx.state.route`
// (the gateway's router sets it), anything else by its method alone.
import { SpanKind, SpanStatusCode, context, trace, type Span } from "@opentelemetry/api";
import type { Interceptor } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeName } from "../metrics.ts";
import type Koa from "koa";
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_URL_PATH,
} from "@opentelemetry/semantic-conventions";
import { probePaths } from "../server.ts";
import { recordError } from "./spans.ts";
import { contextFromHeaders } from "./trace-context.ts";
import { platformTracer } from "./tracing.ts";

/** What a route tells the span about itself (set on ctx.state). */
export interface SpanRouteState {
  /** "POST /api/v1/orders": the method and the path template. */
  route?: string;
}

export function serverSpans(): Koa.Middleware {
  return (ctx, next) => {
    if (probePaths.has(ctx.path)) return next();
    const parent = contextFromHeaders({ traceparent: ctx.get("traceparent") || undefined, tracestate: ctx.get("tracestate") || undefined });
    const span = platformTracer().startSpan(
      ctx.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: ctx.method, [ATTR_URL_PATH]: ctx.path } },
      parent,
    );
    // The span ends with the response (Connect's handler promise never settles: see metrics.ts).
    ctx.res.once("close", () => endServerSpan(span, ctx));
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        await next();
      } catch (err) {
        recordError(span, err);
        throw err;
      }
    });
  };
}

function endServerSpan(span: Span, ctx: Koa.Context): void {
  const route = (ctx.state as SpanRouteState).route;
  if (route) {
    span.updateName(route);
    span.setAttribute(ATTR_HTTP_ROUTE, route.slice(route.indexOf(" ") + 1));
  }
  const status = ctx.res.statusCode;
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Names the request's span after the RPC and records its outcome (Connect code). */
export const rpcServerSpans: Interceptor = (next) => async (req) => {
  const span = trace.getActiveSpan();
  span?.updateName(`${req.service.typeName}/${req.method.name}`);
  span?.setAttributes({ [ATTR_RPC_SYSTEM_NAME]: rpcSystem(req.requestMethod, req.header), [ATTR_RPC_METHOD]: `${req.service.typeName}/${req.method.name}` });
  try {
    const res = await next(req);
    span?.setAttribute(ATTR_RPC_STATUS_CODE, "ok");
    return res;
  } catch (err) {
    const error = ConnectError.from(err);
    span?.setAttribute(ATTR_RPC_STATUS_CODE, codeName(error.code));
    // A client's mistake is not the server's error (as with HTTP 4xx).
    if (serverFault(error.code) && span) recordError(span, error, codeName(error.code));
    throw err;
  }
};

/** The protocol of a served call: gRPC, gRPC-Web or Connect. */
function rpcSystem(_method: string, header: Headers): string {
  const type = header.get("content-type") ?? "";
  if (type.startsWith("application/grpc-web")) return "grpc_web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connectrpc";
}

export function serverFault(code: Code): boolean {
  return [Code.Unknown, Code.Internal, Code.Unavailable, Code.DataLoss, Code.DeadlineExceeded, Code.Unimplemented].includes(code);
}
