// Local Jaeger v2 (cmd/jaeger, built by scripts/tools/ensure-tool.sh from the
// Go module proxy) for `make dev` and the tests: receives OTLP (gRPC and
// HTTP), keeps traces in memory, and serves its query API (and, at the same
// port, its UI: a placeholder page in this build, whose assets need npm; the
// API works). Everything listens on 127.0.0.1 only. Jaeger's own
// self-tracing (to 127.0.0.1:4317 by default) is off.
import { jaegerConfig, standardJaegerPorts, type JaegerPorts } from "@meshmart/observability/jaeger-config";
import { answers, startManagedServer, stopManagedServer, type ManagedServer } from "./managed-server.ts";
import { portFromEnv } from "./ports.ts";
import { ensureTools } from "./tools.ts";

export type { JaegerPorts };

const known: Record<string, JaegerPorts> = {
  // The usual ones, so that `make dev` works with any OpenTelemetry default.
  dev: standardJaegerPorts,
  test: { query: 26686, queryGrpc: 26685, otlpGrpc: 26317, otlpHttp: 26318, health: 26133 },
};

/**
 * The profile's ports; MESHMART_JAEGER_PORT moves them all (query there,
 * OTLP gRPC +1, OTLP HTTP +2, health +3, query gRPC +4).
 */
export function jaegerPorts(profile: string): JaegerPorts {
  const base = portFromEnv("MESHMART_JAEGER_PORT");
  if (base !== undefined) return { query: base, otlpGrpc: base + 1, otlpHttp: base + 2, health: base + 3, queryGrpc: base + 4 };
  return known[profile] ?? { query: 27686, queryGrpc: 27685, otlpGrpc: 27317, otlpHttp: 27318, health: 27133 };
}

export interface JaegerHandle {
  /** The query API and UI, e.g. http://127.0.0.1:16686. */
  readonly url: string;
  /** What OTEL_EXPORTER_OTLP_ENDPOINT should say (OTLP/HTTP). */
  readonly otlpHttpEndpoint: string;
  readonly otlpGrpcEndpoint: string;
  readonly server: ManagedServer;
  stop(): Promise<void>;
}

export async function startJaeger(opts: { profile: string; ports?: JaegerPorts; detached?: boolean; log?: (line: string) => void }): Promise<JaegerHandle> {
  const ports = opts.ports ?? jaegerPorts(opts.profile);
  const { jaeger } = await ensureTools(["jaeger"]);
  const host = "127.0.0.1";
  const server = await startManagedServer({
    name: "Jaeger",
    profile: opts.profile,
    dir: "jaeger",
    host,
    ports: [ports.query, ports.queryGrpc, ports.otlpGrpc, ports.otlpHttp, ports.health],
    config: jaegerConfig(ports, host),
    command: (files) => ({ binary: jaeger, args: ["--config", files.configFile] }),
    ready: async () => (await answers(`http://${host}:${ports.health}/status`)) && (await answers(`http://${host}:${ports.query}/api/services`)),
    detached: opts.detached,
    log: opts.log ?? ((line) => process.stderr.write(`[infra] ${line}\n`)),
  });
  return {
    url: `http://${host}:${ports.query}`,
    otlpHttpEndpoint: `http://${host}:${ports.otlpHttp}`,
    otlpGrpcEndpoint: `http://${host}:${ports.otlpGrpc}`,
    server,
    stop: () => server.stop(),
  };
}

export function stopJaeger(profile: string): Promise<boolean> {
  return stopManagedServer(profile, "jaeger");
}
