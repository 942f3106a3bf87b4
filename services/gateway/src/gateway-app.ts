// The gateway's REST edge, mounted on the platform's Koa app after /healthz,
// /readyz and /metrics. Per request: who is calling (a token, when one came),
// rate limit by that caller, route (404/405), demand a token where the route
// needs one, then the handler. Every error leaves as problem+json.
import type Koa from "koa";
import { currentContext, type Logger, type Runtime } from "@meshmart/platform";
import { accessLog, type AccessLogState } from "./access-log.ts";
import { authenticate, missingToken } from "./authentication.ts";
import { createBackends } from "./backends.ts";
import type { gatewayConfig } from "./gateway-config.ts";
import { maxBodyBytes } from "./json-body.ts";
import { createTokenVerifier, jwtSettings } from "./jwt.ts";
import { Problem, problemBody, problemContentType } from "./problem.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { Router } from "./router.ts";
import { gatewayRoutes } from "./routes.ts";

export function mountGateway(app: Koa, runtime: Runtime<typeof gatewayConfig>): void {
  const { config, logger } = runtime;
  // Behind the ingress, trust only the address the nearest proxy saw (the
  // last X-Forwarded-For entry): earlier entries are whatever the client wrote.
  app.maxIpsCount = 1;

  const router = new Router(gatewayRoutes(createBackends(runtime, config.BACKEND_TIMEOUT_MS)));
  const verify = createTokenVerifier(jwtSettings(config));
  const limiter =
    config.RATE_LIMIT_RPS > 0 ? new RateLimiter({ ratePerSecond: config.RATE_LIMIT_RPS, burst: config.RATE_LIMIT_BURST }) : undefined;
  if (!limiter) logger.warn("rate limiting is off (RATE_LIMIT_RPS=0)");

  app.use(accessLog(logger));
  app.use(problems(logger));
  app.use(async (ctx) => {
    // Whatever the route: a body declared larger than any route takes is refused unread.
    if (Number(ctx.get("content-length") || 0) > maxBodyBytes) {
      throw new Problem(413, { detail: `the request body is larger than ${maxBodyBytes} bytes`, headers: { Connection: "close" } });
    }
    const state = ctx.state as AccessLogState;
    const { identity, refused } = await authenticate(ctx, verify);
    state.subject = identity?.subject;

    const decision = limiter?.take(identity ? `sub:${identity.subject}` : `ip:${ctx.ip}`);
    if (decision && !decision.allowed) {
      throw new Problem(429, {
        detail: `too many requests; retry in ${decision.retryAfterSeconds} s`,
        headers: { "Retry-After": String(decision.retryAfterSeconds) },
      });
    }
    if (refused) throw refused;

    const match = router.match(ctx.method, ctx.path);
    if (match.kind === "not-found") throw new Problem(404, { detail: `no route for ${ctx.path}` });
    if (match.kind === "method-not-allowed") {
      throw new Problem(405, {
        detail: `${ctx.method} is not allowed on ${ctx.path}; allowed: ${match.allowed.join(", ")}`,
        headers: { Allow: match.allowed.join(", ") },
      });
    }
    state.route = `${match.route.method} ${match.route.path}`;
    if (match.route.authenticated && !identity) throw missingToken();
    await match.route.handle(ctx, { params: match.params, identity });
  });
}

/** Turns every error into a problem+json response; unexpected ones are logged and hidden. */
function problems(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const problem = asProblem(err);
      // A backend down or slow is expected in a fault (and already measured by
      // the client metrics): a warning. Anything else that is our fault: an error.
      if (problem.status === 503 || problem.status === 504) {
        logger.warn({ status: problem.status, reason: (problem.cause as Error | undefined)?.message ?? problem.detail }, "backend failed");
      } else if (problem.status >= 500) {
        logger.error({ err: problem.cause ?? err, status: problem.status }, "request failed");
      }
      const context = currentContext();
      ctx.status = problem.status;
      ctx.set(problem.headers);
      ctx.body = JSON.stringify(
        problemBody(problem, ctx.path, { requestId: context?.requestId ?? "", traceId: context?.trace.traceId ?? "" }),
      );
      ctx.type = problemContentType;
    }
  };
}

function asProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof URIError) return new Problem(400, { detail: "the path is not valid percent-encoding", cause: err });
  return new Problem(500, { detail: "internal error; quote the request id when reporting it", cause: err });
}
