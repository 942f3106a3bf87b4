// The platform's own HTTP routes on every service port, mounted before the
// RPCs: /healthz (alive), /readyz (ready to take traffic: dependencies up,
// not draining), /metrics (Prometheus), and with FAULT_ADMIN the fault
// switch's /admin/faults. Plus the request context every request runs in.
import type Koa from "koa";
import { deadlineFromHeaders } from "./deadline.ts";
import { parseFaults, type FaultSwitch } from "./fault-switch.ts";
import type { Health } from "./health.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { newRequestId, runWithContext } from "./request-context.ts";

/** Request id and deadline of the request, for logs and outgoing calls (its span: telemetry/server-spans.ts). */
export function requestContext(): Koa.Middleware {
  return (ctx, next) => {
    const requestId = ctx.get("x-request-id") || newRequestId();
    const deadline = deadlineFromHeaders((name) => ctx.get(name) || undefined);
    ctx.set("x-request-id", requestId);
    return runWithContext({ requestId, deadline }, next);
  };
}

export function healthAndMetricsRoutes(health: Health, metrics: Metrics): Koa.Middleware {
  // Not async: an RPC (a POST) passes straight through, without a promise of its own.
  return (ctx, next) => (ctx.method !== "GET" && ctx.method !== "HEAD" ? next() : probe(ctx, next));
  async function probe(ctx: Koa.Context, next: Koa.Next): Promise<void> {
    switch (ctx.path) {
      case "/healthz":
        ctx.body = { status: "alive" };
        return;
      case "/readyz": {
        const report = await health.readiness();
        ctx.status = report.ready ? 200 : 503;
        ctx.body = report;
        return;
      }
      case "/metrics":
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
        return;
      default:
        await next();
    }
  }
}

const maxFaultRulesBytes = 64 * 1024;

/** GET shows the fault rules, PUT replaces them (body: a FAULTS specification, empty turns faults off). */
export function faultAdminRoute(faults: FaultSwitch, logger: Logger): Koa.Middleware {
  return (ctx, next) => (ctx.path !== "/admin/faults" ? next() : admin(ctx));
  async function admin(ctx: Koa.Context): Promise<void> {
    if (ctx.method === "PUT") {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of ctx.req) {
        size += (chunk as Buffer).length;
        if (size > maxFaultRulesBytes) {
          ctx.status = 413;
          ctx.set("connection", "close");
          ctx.body = { error: `fault rules are at most ${maxFaultRulesBytes} bytes` };
          return;
        }
        chunks.push(chunk as Buffer);
      }
      try {
        faults.replace(parseFaults(Buffer.concat(chunks).toString("utf8")));
      } catch (err) {
        ctx.status = 400;
        ctx.body = { error: (err as Error).message };
        return;
      }
      logger.warn({ faults: faults.active }, "fault rules replaced");
    } else if (ctx.method !== "GET") {
      ctx.status = 405;
      return;
    }
    ctx.body = { faults: faults.active };
  }
}
