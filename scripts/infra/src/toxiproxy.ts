// Toxiproxy (github.com/Shopify/toxiproxy/v2, built and cached by
// scripts/tools/ensure-tool.sh) as local infrastructure for the fault
// scenarios: a TCP proxy per edge (service to service, service to PostgreSQL,
// service to Kafka) whose toxics (latency, bandwidth, timeout, reset_peer,
// slicer, ...) and on/off switch are set through its HTTP API, here through the
// toxiproxy-node-client package. One server per profile in
// .local/<profile>/toxiproxy, found again by its pid like Kafka and PostgreSQL,
// stopped when the process that started it ends (unless detached).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Toxiproxy, type Proxy } from "toxiproxy-node-client";
import { withFileLock } from "./file-lock.ts";
import { adopt, release } from "./owned-processes.ts";
import { display, profileDir } from "./paths.ts";
import { defaultPorts, portFromEnv } from "./ports.ts";
import { commandLine, isPortOpen, isProcessAlive, signal, sleep, tail, waitForExit } from "./processes.ts";
import { ensureTools } from "./tools.ts";

export type ToxicType = "latency" | "bandwidth" | "slow_close" | "timeout" | "slicer" | "limit_data" | "reset_peer";

/** A toxic as Toxiproxy's API takes it. */
export interface ToxicSpec {
  name: string;
  type: ToxicType;
  /** downstream: server -> client (default); upstream: client -> server. */
  stream?: "upstream" | "downstream";
  /** Fraction of connections it affects (default 1). */
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface ProxySpec {
  name: string;
  /** Port on 127.0.0.1 the proxy listens on. */
  listenPort: number;
  /** host:port it forwards to. */
  upstream: string;
}

export interface ToxiproxyHandle {
  /** http://127.0.0.1:<port>, the API. */
  readonly apiUrl: string;
  readonly port: number;
  /** The API client (toxiproxy-node-client). */
  readonly client: Toxiproxy;
  /** Creates the proxies, replacing any of the same name (listen or upstream may have changed). */
  ensureProxies(specs: ProxySpec[]): Promise<Record<string, Proxy>>;
  /** Adds a toxic to a proxy and reads it back; resolves with the toxic as the server holds it. */
  addToxic(proxy: string, toxic: ToxicSpec): Promise<ToxicSpec>;
  removeToxic(proxy: string, toxic: string): Promise<void>;
  /** Enables or disables a proxy: disabled, it refuses new connections and drops open ones. */
  setEnabled(proxy: string, enabled: boolean): Promise<void>;
  /** Every proxy enabled, every toxic removed. */
  reset(): Promise<void>;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

export interface StartToxiproxyOptions {
  profile: string;
  /** API port; defaults to MESHMART_TOXIPROXY_PORT, then the profile's. */
  port?: number;
  log?: (line: string) => void;
  /** Leave it running when this process exits. */
  detached?: boolean;
}

interface ServerState {
  pid: number;
  port: number;
}

const readyTimeoutMs = 15_000;

function files(profile: string) {
  const dir = path.join(profileDir(profile), "toxiproxy");
  return { dir, stateFile: path.join(dir, "server.json"), logFile: path.join(dir, "server.log"), lock: path.join(dir, "start.lock") };
}

async function readState(stateFile: string): Promise<ServerState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile, "utf8")) as ServerState;
  } catch {
    return undefined;
  }
}

async function isOurServer(state: ServerState): Promise<boolean> {
  if (!isProcessAlive(state.pid)) return false;
  const cmd = await commandLine(state.pid);
  return cmd === undefined || (cmd.includes("toxiproxy-server") && cmd.includes(String(state.port)));
}

async function answers(apiUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${apiUrl}/version`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

export async function startToxiproxy(opts: StartToxiproxyOptions): Promise<ToxiproxyHandle> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[infra] ${line}\n`));
  const f = files(opts.profile);
  const port = opts.port ?? portFromEnv("MESHMART_TOXIPROXY_PORT") ?? defaultPorts(opts.profile).toxiproxy;
  const apiUrl = `http://127.0.0.1:${port}`;
  const server = await withFileLock(f.lock, `Toxiproxy of profile ${opts.profile} to start`, async () => {
    const running = await readState(f.stateFile);
    if (running && (await isOurServer(running)) && running.port === port && (await answers(apiUrl))) {
      log(`Toxiproxy already running for profile ${opts.profile}: reusing pid ${running.pid}`);
      return { pid: running.pid, owned: false };
    }
    if (await isPortOpen(port)) throw new Error(`port ${port} is already in use; choose Toxiproxy's API port with MESHMART_TOXIPROXY_PORT`);
    const { "toxiproxy-server": binary } = await ensureTools(["toxiproxy-server"]);
    await mkdir(f.dir, { recursive: true });
    const logFd = await open(f.logFile, "a");
    const child = spawn(binary, ["-host", "127.0.0.1", "-port", String(port)], { detached: true, stdio: ["ignore", logFd.fd, logFd.fd] });
    await logFd.close();
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${binary}`);
    await writeFile(f.stateFile, JSON.stringify({ pid, port } satisfies ServerState));
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await answers(apiUrl))) {
      if (!isProcessAlive(pid) || Date.now() > deadline) {
        signal(pid, "SIGKILL");
        await rm(f.stateFile, { force: true });
        throw new Error(`Toxiproxy did not answer on ${apiUrl}; last lines of ${display(f.logFile)}:\n${await tail(f.logFile)}`);
      }
      await sleep(100);
    }
    log(`Toxiproxy ready, API on ${apiUrl} (pid ${pid}, log ${display(f.logFile)})`);
    return { pid, owned: !opts.detached };
  });
  if (server.owned) {
    adopt(server.pid, () => {
      signal(server.pid, "SIGTERM");
      try {
        writeFileSync(f.stateFile, "{}");
      } catch {
        // on the way out
      }
    });
  }

  const client = new Toxiproxy(apiUrl);
  const api = async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${apiUrl}${route}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Toxiproxy ${method} ${route} answered ${res.status}: ${text.trim()}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  let stopped = false;
  return {
    apiUrl,
    port,
    client,
    async ensureProxies(specs) {
      const existing = await client.getAll();
      const created: Record<string, Proxy> = {};
      for (const spec of specs) {
        const listen = `127.0.0.1:${spec.listenPort}`;
        const current = existing[spec.name];
        if (current && (current.listen !== listen || current.upstream !== spec.upstream)) await current.remove();
        created[spec.name] =
          current && current.listen === listen && current.upstream === spec.upstream
            ? current
            : await client.createProxy({ name: spec.name, listen, upstream: spec.upstream });
      }
      return created;
    },
    async addToxic(proxy, toxic) {
      const body = { name: toxic.name, type: toxic.type, stream: toxic.stream ?? "downstream", toxicity: toxic.toxicity ?? 1, attributes: toxic.attributes };
      await api("POST", `/proxies/${encodeURIComponent(proxy)}/toxics`, body);
      return (await api("GET", `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic.name)}`)) as ToxicSpec;
    },
    async removeToxic(proxy, toxic) {
      await api("DELETE", `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
    },
    async setEnabled(proxy, enabled) {
      const proxyObject = await client.get(proxy);
      await proxyObject.update({ enabled, listen: proxyObject.listen, upstream: proxyObject.upstream });
    },
    async reset() {
      await client.reset();
    },
    async stop() {
      if (!server.owned || stopped) return;
      stopped = true;
      signal(server.pid, "SIGTERM");
      if (!(await waitForExit(server.pid, 10_000))) signal(server.pid, "SIGKILL");
      release(server.pid);
      await rm(f.stateFile, { force: true });
    },
  };
}

/** Stops the profile's Toxiproxy whoever started it (`npm run infra -- down`); false when none ran. */
export async function stopToxiproxy(opts: { profile: string }): Promise<boolean> {
  const f = files(opts.profile);
  const state = await readState(f.stateFile);
  if (!state?.pid || !(await isOurServer(state))) {
    await rm(f.stateFile, { force: true });
    return false;
  }
  signal(state.pid, "SIGTERM");
  if (!(await waitForExit(state.pid, 10_000))) signal(state.pid, "SIGKILL");
  await rm(f.stateFile, { force: true });
  return true;
}
