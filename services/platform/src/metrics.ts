// Prometheus metrics (prom-client). Each running service owns a Registry, so
// several services can share one process in tests without mixing series.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type Koa from "koa";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { probePaths } from "./server.ts";

const rpcBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  readonly registry: Registry;
  /** Server-side interceptor: duration and count of every RPC this service serves. */
  readonly serverInterceptor: Interceptor;
  /** Client-side interceptor: duration and count of every RPC this service makes. */
  readonly clientInterceptor: Interceptor;
  /** Koa middleware: every HTTP request but the probes, by route and status (the 5xx ratio of any service, REST or RPC). */
  readonly httpMiddleware: Koa.Middleware;
  /** Exposes the server's open connections and requests in flight. */
  watchServer(server: { readonly connections: number; readonly inFlight: number }): void;
}


export function createMetrics(service: string, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ app: service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const labelNames = ["service", "method", "code"] as const;
  const serverDuration = new Histogram({
    name: "rpc_server_duration_seconds",
    help: "Duration of RPCs served, by protobuf service, method and Connect code.",
    labelNames,
    buckets: rpcBuckets,
    registers: [registry],
  });
  const serverTotal = new Counter({
    name: "rpc_server_requests_total",
    help: "RPCs served, by protobuf service, method and Connect code.",
    labelNames,
    registers: [registry],
  });
  const clientDuration = new Histogram({
    name: "rpc_client_duration_seconds",
    help: "Duration of RPCs made to other services, by protobuf service, method and Connect code.",
    labelNames,
    buckets: rpcBuckets,
    registers: [registry],
  });
  const clientTotal = new Counter({
    name: "rpc_client_requests_total",
    help: "RPCs made to other services, by protobuf service, method and Connect code.",
    labelNames,
    registers: [registry],
  });

  const measure = (duration: Histogram<(typeof labelNames)[number]>, total: Counter<(typeof labelNames)[number]>): Interceptor => {
    const child = cachedChildren(duration, total);
    return (next) => async (req) => {
      const started = performance.now();
      const record = (code: string) => {
        const c = child(req.service.typeName, req.method.name, code);
        c.duration.observe((performance.now() - started) / 1000);
        c.total.inc();
      };
      try {
        const res = await next(req);
        record("ok");
        return res;
      } catch (err) {
        record(codeName(ConnectError.from(err).code));
        throw err;
      }
    };
  };

  const httpLabels = ["route", "status"] as const;
  const httpTotal = new Counter({
    name: "http_server_requests_total",
    help: "HTTP requests served (probes excluded), by route (RPC path, REST template, or unmatched) and status code.",
    labelNames: httpLabels,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "http_server_duration_seconds",
    help: "Duration of HTTP requests served (probes excluded), by route and status code.",
    labelNames: httpLabels,
    buckets: rpcBuckets,
    registers: [registry],
  });
  // Routes are bounded: RPC paths, REST templates and "unmatched".
  const httpChild = cachedChildren(httpDuration, httpTotal);
  const httpMiddleware: Koa.Middleware = async (ctx, next) => {
    if (probePaths.has(ctx.path)) {
      await next();
      return;
    }
    const started = performance.now();
    // Counted when the response is done: Connect writes its responses itself and its handler's
    // promise does not settle after the write (connect-node waits for an "end" event that an
    // HTTP response never emits), so the status is the one that went out.
    ctx.res.once("close", () => {
      // Connect answers itself (ctx.respond = false) on the RPC's path; a REST route names its template in ctx.state.route.
      const route = (ctx.state as { route?: string }).route ?? (ctx.respond === false ? ctx.path : "unmatched");
      const child = httpChild(route, String(ctx.res.statusCode));
      child.total.inc();
      child.duration.observe((performance.now() - started) / 1000);
    });
    await next();
  };

  return {
    registry,
    serverInterceptor: measure(serverDuration, serverTotal),
    clientInterceptor: measure(clientDuration, clientTotal),
    httpMiddleware,
    watchServer(server) {
      new Gauge({
        name: "http_server_open_connections",
        help: "TCP connections open to the service port (HTTP/1.1 and HTTP/2).",
        registers: [registry],
        collect() {
          this.set(server.connections);
        },
      });
      new Gauge({
        name: "http_server_requests_in_flight",
        help: "Requests (HTTP/1.1 requests and HTTP/2 streams) being served.",
        registers: [registry],
        collect() {
          this.set(server.inFlight);
        },
      });
    },
  };
}

/** Connect code in the snake_case used on the wire, e.g. "invalid_argument". */
export function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * A histogram's and a counter's children for one set of label values, looked
 * up by a string key: prom-client hashes a label object on every observation
 * otherwise, which was most of what measuring an RPC cost.
 */
function cachedChildren<T extends string>(duration: Histogram<T>, total: Counter<T>) {
  const children = new Map<string, { duration: { observe(v: number): void }; total: { inc(): void } }>();
  return (...values: string[]) => {
    const key = values.join("\u0000");
    let found = children.get(key);
    if (!found) {
      found = { duration: duration.labels(...values), total: total.labels(...values) };
      children.set(key, found);
    }
    return found;
  };
}
