// grpc.health.v1 on every service port, beside /healthz and /readyz, for
// Kubernetes gRPC probes, grpc-health-probe and load balancers that speak the
// gRPC health protocol. It answers readiness (health.ts): SERVING when every
// dependency check passes and the service is not draining, NOT_SERVING
// otherwise. The service names it knows are "" (the whole server) and every
// service the port serves.
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health as HealthService, HealthCheckResponse_ServingStatus as Status } from "@meshmart/proto/grpc/health/v1/health_pb";
import type { Health } from "./health.ts";

export interface GrpcHealthOptions {
  readonly health: Health;
  /** Aborted when the service starts draining: Watch streams say NOT_SERVING and end. */
  readonly draining: AbortSignal;
  /** How often a Watch stream re-reads readiness (default 1 s). */
  readonly watchIntervalMs?: number;
}

/** Registers grpc.health.v1.Health; register it after the service's own RPCs, so that their names are known. */
export function serveGrpcHealth(router: ConnectRouter, options: GrpcHealthOptions): void {
  const { health, draining } = options;
  const intervalMs = options.watchIntervalMs ?? 1_000;
  const known = (service: string) => service === "" || router.handlers.some((h) => h.service.typeName === service);
  const status = async () => (!draining.aborted && (await health.readiness()).ready ? Status.SERVING : Status.NOT_SERVING);

  router.service(HealthService, {
    async check(request) {
      if (!known(request.service)) throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
      return { status: await status() };
    },
    async *watch(request, context) {
      const ended = AbortSignal.any([context.signal, draining]);
      if (!known(request.service)) {
        yield { status: Status.SERVICE_UNKNOWN };
        await sleep(Infinity, ended);
        return;
      }
      let last: Status | undefined;
      while (!context.signal.aborted) {
        const now = await status();
        if (now !== last) yield { status: now };
        last = now;
        if (draining.aborted) return; // NOT_SERVING was sent; the stream ends so that the shutdown need not wait for it
        await sleep(intervalMs, ended);
      }
    },
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = ms === Infinity ? undefined : setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
