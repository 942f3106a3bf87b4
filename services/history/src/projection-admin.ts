// The operator's route for rebuilding the projection, beside the platform's
// own (/healthz, /readyz, /metrics, and with FAULT_ADMIN /admin/faults), on
// when PROJECTION_ADMIN is (the default: the projection is derived data,
// rebuilt from events that are kept forever, so a rebuild loses nothing; in
// the cluster only the gateway may reach history at all):
//   GET  /admin/projection/rebuild   the last rebuild: {rebuilding, generation, startedAt, finishedAt, error}
//   POST /admin/projection/rebuild   runs one; answers once the consumer reads again from the start:
//                                    200 {generation, startedAt, finishedAt, topics}, 409 when one is
//                                    under way, 503 when the consumer group would not empty in time
// Progress after that is GetProjectionStatus (make rebuild-projection polls it).
import type Koa from "koa";
import type { Logger } from "@meshmart/platform";
import { RebuildInProgress, type ProjectionControl } from "./projection-rebuild.ts";

export const rebuildPath = "/admin/projection/rebuild";

export function projectionAdminRoute(control: ProjectionControl, logger: Logger): Koa.Middleware {
  return (ctx, next) => (ctx.path !== rebuildPath ? next() : admin(ctx));
  async function admin(ctx: Koa.Context): Promise<void> {
    if (ctx.method === "GET" || ctx.method === "HEAD") {
      ctx.body = await control.state();
      return;
    }
    if (ctx.method !== "POST") {
      ctx.status = 405;
      ctx.set("Allow", "GET, HEAD, POST");
      return;
    }
    try {
      ctx.body = await control.rebuild();
    } catch (err) {
      if (err instanceof RebuildInProgress) {
        ctx.status = 409;
        ctx.body = { error: err.message };
        return;
      }
      logger.error({ err: (err as Error).message }, "projection rebuild request failed");
      ctx.status = 503;
      ctx.body = { error: (err as Error).message };
    }
  }
}
