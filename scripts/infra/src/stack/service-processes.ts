// Runs meshmart services as real processes (node on each service's bundle,
// built from its main.ts when the stack starts: service-bundles.ts), the way
// `make dev` and the end-to-end tests need them: each with its database, the
// broker, and the URLs of the others; killable and restartable one by one.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { services, startOrder, type ServiceName } from "@meshmart/topology";
import { repoRoot } from "../paths.ts";
import { serviceBundle } from "./service-bundles.ts";

export interface ServiceProcessesOptions {
  names: ServiceName[];
  /** Port per service; defaults to the local ports of topology.ts. */
  ports?: Partial<Record<ServiceName, number>>;
  /** DATABASE_URL for services that have a database. */
  databaseUrl: (name: ServiceName) => string;
  brokers: string[];
  /** Environment for every service (on top of this process's). */
  env?: Record<string, string>;
  /** Environment for one service. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Receives every line a service prints (JSON log lines). */
  onLine?: (name: ServiceName, line: string) => void;
  readyTimeoutMs?: number;
  /**
   * "bundle" (default): node on the service's pre-built bundle, as in its image.
   * "tsx": node with the tsx loader on its main.ts, only for the benchmark
   * that measures what the bundle saves.
   */
  runtime?: "bundle" | "tsx";
}

export interface ServiceProcesses {
  readonly urls: Record<ServiceName, string>;
  /** Starts (or restarts) one service, optionally with extra settings, and waits until it is ready. */
  start(name: ServiceName, overrides?: Record<string, string>): Promise<void>;
  /** The process id of a running service (to read its memory, say). */
  pid(name: ServiceName): number | undefined;
  /** Sends a signal (SIGKILL by default) and waits for the exit. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGTERM to all, waiting for each to drain and exit. */
  stop(): Promise<void>;
}

export async function startServiceProcesses(options: ServiceProcessesOptions): Promise<ServiceProcesses> {
  const port = (name: ServiceName) => options.ports?.[name] ?? services[name].localPort;
  const urls = Object.fromEntries(
    (Object.keys(services) as ServiceName[]).map((name) => [name, `http://127.0.0.1:${port(name)}`]),
  ) as Record<ServiceName, string>;
  const children = new Map<ServiceName, ChildProcess>();
  const runtime = options.runtime ?? "bundle";
  // Built once per stack: a restarted service runs the code it started with.
  const bundles = runtime === "bundle" ? new Map(await Promise.all(options.names.map(async (name) => [name, await serviceBundle(name)] as const))) : new Map<ServiceName, string>();

  const envFor = (name: ServiceName, overrides: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    HOST: "127.0.0.1",
    PORT: String(port(name)),
    KAFKA_BROKERS: options.brokers.join(","),
    ...(services[name].database ? { DATABASE_URL: options.databaseUrl(name) } : {}),
    ...Object.fromEntries(Object.entries(urls).map(([other, url]) => [`${other.toUpperCase()}_URL`, url])),
    ...options.env,
    ...options.serviceEnv?.[name],
    ...overrides,
  });

  const start = async (name: ServiceName, overrides?: Record<string, string>) => {
    const running = children.get(name);
    if (running && running.exitCode === null && running.signalCode === null) return;
    // MESHMART_NODE_ARGS: extra node flags for every service, e.g. "--cpu-prof --cpu-prof-dir=.local/prof" to profile a stack.
    const extra = (process.env.MESHMART_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
    const entry =
      runtime === "tsx"
        ? ["--import", "tsx", path.join(repoRoot, "services", name, "src", "main.ts")]
        : ["--enable-source-maps", bundles.get(name) ?? (await serviceBundle(name))];
    const child = spawn(process.execPath, ["--disable-warning=TimeoutNegativeWarning", ...extra, ...entry], {
      cwd: repoRoot,
      env: envFor(name, overrides),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.set(name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => options.onLine?.(name, line));
    }
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) while starting`);
      }
      try {
        if ((await fetch(`${urls[name]}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    throw new Error(`${name} was not ready within ${options.readyTimeoutMs ?? 60_000} ms`);
  };

  const kill = async (name: ServiceName, signal: NodeJS.Signals = "SIGKILL") => {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = once(child, "exit");
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  };

  const processes: ServiceProcesses = {
    urls,
    start,
    pid: (name) => children.get(name)?.pid,
    kill,
    async stop() {
      await Promise.all([...children.keys()].map((name) => kill(name, "SIGTERM")));
    },
  };
  try {
    // Dependencies first: catalog before orders, the backends before the gateway.
    for (const name of startOrder().filter((n) => options.names.includes(n))) await start(name);
  } catch (err) {
    await processes.stop();
    throw err;
  }
  return processes;
}
