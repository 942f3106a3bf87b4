// One log line per REST request, with the route template (never the raw path
// alone, so requests group by route), the status, the duration and who
// called: the edge is where a caller's view of latency and errors shows.
import type Koa from "koa";
import type { Logger } from "@meshmart/platform";

/** Set by the gateway as it learns who called and which route matched. */
export interface AccessLogState {
  route?: string;
  subject?: string;
}

export function accessLog(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const state = ctx.state as AccessLogState;
      logger.info(
        {
          method: ctx.method,
          path: ctx.path,
          route: state.route ?? "unmatched",
          status: ctx.status,
          ms: Math.round(performance.now() - started),
          client: ctx.ip,
          subject: state.subject,
        },
        "request",
      );
    }
  };
}
