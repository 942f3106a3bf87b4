// Local Prometheus (built by scripts/tools/ensure-tool.sh from the Go module
// proxy, without its web UI: the HTTP API works) for `make dev` and the
// tests: scrapes the services' /metrics and evaluates the platform's
// recording and alerting rules. Listens on 127.0.0.1 only; its data lives in
// .local/<profile>/prometheus/data.
import path from "node:path";
import { stringify } from "yaml";
import { answers, startManagedServer, stopManagedServer, type ManagedServer } from "./managed-server.ts";
import { portFromEnv } from "./ports.ts";
import { ensureTools } from "./tools.ts";

/** The profile's port: 9090 for dev; MESHMART_PROMETHEUS_PORT overrides it. */
export function prometheusPort(profile: string): number {
  return portFromEnv("MESHMART_PROMETHEUS_PORT") ?? ({ dev: 9090, test: 29090 } as Record<string, number>)[profile] ?? 29190;
}

export interface ScrapeTarget {
  /** The service's name (its series carry it as `app` themselves). */
  service: string;
  /** host:port of its /metrics. */
  address: string;
}

export function prometheusConfig(options: { targets: readonly ScrapeTarget[]; ruleFiles: readonly string[]; scrapeIntervalSeconds: number }): string {
  const interval = `${options.scrapeIntervalSeconds}s`;
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: [...options.ruleFiles],
    scrape_configs: [
      {
        job_name: "meshmart",
        metrics_path: "/metrics",
        // No target labels: the services label every series with `app` themselves, and a
        // `service` target label would clash with the RPC metrics' own `service` label.
        static_configs: [{ targets: options.targets.map((t) => t.address) }],
      },
    ],
  });
}

export interface PrometheusHandle {
  /** The HTTP API, e.g. http://127.0.0.1:9090 (/api/v1/query, /api/v1/targets, /api/v1/rules). */
  readonly url: string;
  readonly server: ManagedServer;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: {
  profile: string;
  targets: readonly ScrapeTarget[];
  /** Rule files (absolute paths) to evaluate. */
  ruleFiles?: readonly string[];
  port?: number;
  scrapeIntervalSeconds?: number;
  detached?: boolean;
  log?: (line: string) => void;
}): Promise<PrometheusHandle> {
  const port = opts.port ?? prometheusPort(opts.profile);
  const { prometheus } = await ensureTools(["prometheus"]);
  const host = "127.0.0.1";
  const url = `http://${host}:${port}`;
  const server = await startManagedServer({
    name: "Prometheus",
    profile: opts.profile,
    dir: "prometheus",
    host,
    ports: [port],
    config: prometheusConfig({ targets: opts.targets, ruleFiles: opts.ruleFiles ?? [], scrapeIntervalSeconds: opts.scrapeIntervalSeconds ?? 5 }),
    command: (files) => ({
      binary: prometheus,
      args: [
        `--config.file=${files.configFile}`,
        `--storage.tsdb.path=${path.join(files.dir, "data")}`,
        "--storage.tsdb.retention.time=2d",
        `--web.listen-address=${host}:${port}`,
        "--web.enable-lifecycle",
      ],
    }),
    ready: () => answers(`${url}/-/ready`),
    detached: opts.detached,
    log: opts.log ?? ((line) => process.stderr.write(`[infra] ${line}\n`)),
  });
  return { url, server, stop: () => server.stop() };
}

export function stopPrometheus(profile: string): Promise<boolean> {
  return stopManagedServer(profile, "prometheus");
}
