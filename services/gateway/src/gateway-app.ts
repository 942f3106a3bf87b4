// The gateway's REST edge, mounted on the platform's Koa app after /healthz,
// /readyz and /metrics. Per request: a declared body larger than any route
// takes is refused, then who is calling (a token, when one came), rate limit
// by that caller, then the router (404/405, a token where the route needs
// one, the handler). Every error leaves as problem+json.
import type Koa from "koa";
import { activeTraceIds, currentContext, type Logger, type ProductReads, type Runtime } from "@meshmart/platform";
import { accessLog } from "./access-log.ts";
import { authenticate } from "./authentication.ts";
import { createBackends } from "./backends.ts";
import type { gatewayConfig } from "./gateway-config.ts";
import { maxBodyBytes } from "./json-body.ts";
import { AdmissionRefused, OrderAdmission } from "./order-admission.ts";
import { createTokenVerifier, jwtSettings } from "./jwt.ts";
import { Problem, problemBody, problemContentType } from "./problem.ts";
import { memoryRateLimiter, takeRequest } from "./rate-limit.ts";
import { restRouter, type RouteState } from "./rest-router.ts";
import { gatewayRoutes } from "./routes.ts";

export function mountGateway(app: Koa, runtime: Runtime<typeof gatewayConfig>, products?: ProductReads): void {
  const { config, logger } = runtime;
  // Behind the ingress, trust only the address the nearest proxy saw (the
  // last X-Forwarded-For entry): earlier entries are whatever the client wrote.
  app.maxIpsCount = 1;

  const verify = createTokenVerifier(jwtSettings(config));
  const limiter =
    config.RATE_LIMIT_RPS > 0 ? memoryRateLimiter({ ratePerSecond: config.RATE_LIMIT_RPS, burst: config.RATE_LIMIT_BURST }) : undefined;
  if (!limiter) logger.warn("rate limiting is off (RATE_LIMIT_RPS=0)");

  app.use(accessLog(logger));
  app.use(problems(logger));
  app.use(async (ctx, next) => {
    // Whatever the route: a body declared larger than any route takes is refused unread.
    if (Number(ctx.get("content-length") || 0) > maxBodyBytes) {
      throw new Problem(413, { detail: `the request body is larger than ${maxBodyBytes} bytes`, headers: { Connection: "close" } });
    }
    const state = ctx.state as RouteState;
    const { identity, refused } = await authenticate(ctx, verify);
    state.identity = identity;
    state.subject = identity?.subject;

    const decision = limiter && (await takeRequest(limiter, identity ? `sub:${identity.subject}` : `ip:${ctx.ip}`));
    if (decision && !decision.allowed) {
      throw new Problem(429, {
        detail: `too many requests; retry in ${decision.retryAfterSeconds} s`,
        headers: { "Retry-After": String(decision.retryAfterSeconds) },
      });
    }
    if (refused) throw refused;
    await next();
  });
  const backends = createBackends(runtime, config.BACKEND_TIMEOUT_MS);
  const admission = new OrderAdmission(
    backends.orders,
    {
      targetSagaMs: config.ADMISSION_SAGA_TARGET_MS,
      minPending: config.ADMISSION_MIN_PENDING,
      maxInFlight: config.ADMISSION_MAX_IN_FLIGHT,
      pollMs: config.ADMISSION_POLL_MS,
    },
    runtime.metrics.registry,
  );
  for (const middleware of restRouter(gatewayRoutes(backends, admission, products))) app.use(middleware);
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
      if (problem.cause instanceof AdmissionRefused) {
        // Shedding load is the plan, not a failure: gateway_orders_refused_total counts it.
      } else if (problem.status === 503 || problem.status === 504) {
        logger.warn({ status: problem.status, reason: (problem.cause as Error | undefined)?.message ?? problem.detail }, "backend failed");
      } else if (problem.status >= 500) {
        logger.error({ err: problem.cause ?? err, status: problem.status }, "request failed");
      }
      const context = currentContext();
      ctx.status = problem.status;
      ctx.set(problem.headers);
      ctx.body = JSON.stringify(
        problemBody(problem, ctx.path, { requestId: context?.requestId ?? "", traceId: activeTraceIds()?.traceId ?? "" }),
      );
      ctx.type = problemContentType;
    }
  };
}

function asProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  return new Problem(500, { detail: "internal error; quote the request id when reporting it", cause: err });
}
