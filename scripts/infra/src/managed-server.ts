// A local server that is one binary (Jaeger, Prometheus), run the way the
// Kafka broker is: one per profile in .local/<profile>/<dir>/, its pid and
// configuration recorded in server.json, its output in server.log, in a
// session of its own. A server this process started stops when the process
// ends (owned-processes.ts), unless `detached`; one found running for the
// profile with the same configuration is reused; one with another
// configuration is stopped and started anew. Stopped by its recorded pid,
// never by name.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { withFileLock } from "./file-lock.ts";
import { adopt, release } from "./owned-processes.ts";
import { display, profileDir } from "./paths.ts";
import { commandLine, isPortOpen, isProcessAlive, signal, sleep, tail, waitForExit } from "./processes.ts";

export interface ManagedServerSpec {
  /** For messages: "Jaeger". */
  name: string;
  profile: string;
  /** Folder under .local/<profile>/. */
  dir: string;
  /** Host and ports it listens on (checked free before a launch). */
  host: string;
  ports: number[];
  /** Builds the command once the folder exists: the binary and its arguments (they must name `configFile`). */
  command: (files: ManagedServerFiles) => { binary: string; args: string[] };
  /** The configuration file's text; a running server with other text is replaced. */
  config: string;
  /** Resolves true once the server answers. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  detached?: boolean;
  log: (line: string) => void;
}

export interface ManagedServerFiles {
  dir: string;
  configFile: string;
  logFile: string;
  stateFile: string;
}

export interface ManagedServer {
  readonly pid: number;
  /** It was running already (another terminal, an earlier run). */
  readonly reused: boolean;
  readonly logFile: string;
  /** Stops it (SIGTERM, then SIGKILL after 20 s). */
  stop(): Promise<void>;
}

interface State {
  pid: number;
  configHash: string;
  ports: number[];
}

export function managedServerFiles(profile: string, dir: string): ManagedServerFiles {
  const root = path.join(profileDir(profile), dir);
  return { dir: root, configFile: path.join(root, "config.yaml"), logFile: path.join(root, "server.log"), stateFile: path.join(root, "server.json") };
}

async function readState(files: ManagedServerFiles): Promise<State | undefined> {
  try {
    return JSON.parse(await readFile(files.stateFile, "utf8")) as State;
  } catch {
    return undefined;
  }
}

async function isOurs(files: ManagedServerFiles, pid: number): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const cmd = await commandLine(pid);
  return cmd === undefined || cmd.includes(files.configFile);
}

export async function startManagedServer(spec: ManagedServerSpec): Promise<ManagedServer> {
  const files = managedServerFiles(spec.profile, spec.dir);
  const configHash = createHash("sha256").update(spec.config).digest("hex");
  return withFileLock(path.join(files.dir, "start.lock"), `${spec.name} of profile ${spec.profile} to start`, async () => {
    const running = await readState(files);
    if (running && (await isOurs(files, running.pid))) {
      if (running.configHash === configHash && (await spec.ready())) {
        spec.log(`${spec.name} already running for profile ${spec.profile}: reusing pid ${running.pid}`);
        return handle(files, running.pid, true);
      }
      spec.log(`${spec.name} (pid ${running.pid}) runs with another configuration: restarting it`);
      await stopPid(files, running.pid);
    }
    for (const port of spec.ports) {
      if (await isPortOpen(port, spec.host)) {
        throw new Error(`port ${port} on ${spec.host} is in use by something other than the ${spec.name} of profile ${spec.profile}: stop it, or choose other ports`);
      }
    }
    await mkdir(files.dir, { recursive: true });
    await writeFile(files.configFile, spec.config);
    const { binary, args } = spec.command(files);
    const logFd = await open(files.logFile, "w");
    const child = spawn(binary, args, { cwd: files.dir, detached: true, stdio: ["ignore", logFd.fd, logFd.fd] });
    await logFd.close();
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${binary}`);
    await writeFile(files.stateFile, JSON.stringify({ pid, configHash, ports: spec.ports } satisfies State));
    if (!spec.detached) adopt(pid, () => signal(pid, "SIGTERM"));
    const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (!isProcessAlive(pid)) {
        release(pid);
        await rm(files.stateFile, { force: true });
        throw new Error(`${spec.name} exited during start-up; last lines of ${display(files.logFile)}:\n${await tail(files.logFile)}`);
      }
      if (await spec.ready().catch(() => false)) break;
      if (Date.now() > deadline) {
        await stopPid(files, pid);
        throw new Error(`${spec.name} was not ready within ${(spec.readyTimeoutMs ?? 30_000) / 1000} s; last lines of ${display(files.logFile)}:\n${await tail(files.logFile)}`);
      }
      await sleep(200);
    }
    spec.log(`${spec.name} ready on ${spec.host}:${spec.ports.join(",")} (pid ${pid}, log ${display(files.logFile)})`);
    return handle(files, pid, false);
  });
}

function handle(files: ManagedServerFiles, pid: number, reused: boolean): ManagedServer {
  return { pid, reused, logFile: files.logFile, stop: () => stopPid(files, pid) };
}

async function stopPid(files: ManagedServerFiles, pid: number): Promise<void> {
  if (await isOurs(files, pid)) {
    signal(pid, "SIGTERM");
    if (!(await waitForExit(pid, 20_000))) {
      signal(pid, "SIGKILL");
      await waitForExit(pid, 5_000);
    }
  }
  release(pid);
  await rm(files.stateFile, { force: true });
}

/** Stops the profile's server in `dir` whoever started it; false when none ran. */
export async function stopManagedServer(profile: string, dir: string): Promise<boolean> {
  const files = managedServerFiles(profile, dir);
  const state = await readState(files);
  if (!state || !(await isOurs(files, state.pid))) {
    await rm(files.stateFile, { force: true });
    return false;
  }
  await stopPid(files, state.pid);
  return true;
}

/** Whether something answers HTTP 200 at `url` within a second. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
