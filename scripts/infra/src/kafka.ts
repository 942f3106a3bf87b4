// Local Kafka for `make dev` and the tests: a real Apache Kafka broker in
// KRaft mode (broker and controller in one JVM) run with the machine's Java
// from the artifacts on Maven Central, one per profile in .local/<profile>/kafka;
// or whatever cluster KAFKA_BROKERS names.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { infrastructureVersions } from "@meshmart/topology";
import { withFileLock } from "./file-lock.ts";
import { kafkaClasspath, log4jConfig, requireJava } from "./kafka-artifacts.ts";
import { serverProperties, type AdvertisedListener } from "./kafka-config.ts";
import { probeKafka, waitForKafka } from "./kafka-probe.ts";
import { adopt, release } from "./owned-processes.ts";
import { display, profileDir } from "./paths.ts";
import { defaultPorts, portFromEnv } from "./ports.ts";
import { commandLine, isPortOpen, isProcessAlive, signal, tail, waitForExit } from "./processes.ts";

/**
 * The newest 3.9 release, the same the cluster's apache/kafka image runs.
 * kafkajs 2.2.4 speaks only old protocol versions, which Kafka 4.0 removed
 * (KIP-896): 3.9 is the last release line that still serves them, and it runs
 * ZooKeeper-free in KRaft mode.
 */
export const kafkaVersion: string = infrastructureVersions.kafka;

/**
 * A Kafka 4 release (KRaft only, Java 17) for the clients that speak its
 * protocol (@platformatic/kafka, KAFKA_CLIENT=platformatic): its tests start
 * it with startKafka({ version: kafka4Version }).
 */
export const kafka4Version = "4.1.1";

export interface KafkaHandle {
  brokers: string[]; // e.g. ["127.0.0.1:9092"]
  external: boolean; // true when KAFKA_BROKERS was given; then stop, kill and start throw
  stop(): Promise<void>; // graceful SIGTERM, wait for exit
  kill(): Promise<void>; // SIGKILL
  start(): Promise<void>; // (re)start the same broker with the same data dir after stop/kill, wait until ready
}

export interface StartKafkaOptions {
  profile: string;
  /** Client port; the controller listens on port + 1. Defaults to MESHMART_KAFKA_PORT, then the profile's (dev 9092, test 19092). */
  port?: number;
  log?: (line: string) => void;
  /** Leave the broker running when this process exits (`make infra-up`). */
  detached?: boolean;
  /**
   * Run a broker of our own even when KAFKA_BROKERS names a shared one: for
   * tests that stop and start their broker without disturbing anyone else.
   */
  own?: boolean;
  /**
   * The address the broker listens on and advertises (default 127.0.0.1): the
   * local cluster's node address, so that its pods reach the broker too.
   */
  host?: string;
  /**
   * More client listeners, each advertising a fault proxy in front of it
   * (kafka-config.ts): the scenarios' Toxiproxy edges between a service and
   * Kafka. A running broker of the profile with other listeners is restarted.
   */
  extraListeners?: AdvertisedListener[];
  /**
   * The Apache Kafka release to run (default kafkaVersion, 3.9): e.g. a 4.x
   * one for clients that speak Kafka 4's protocol. Give such a broker a
   * profile of its own: its data dir is formatted by that release.
   */
  version?: string;
}

export type KafkaStatus =
  | { state: "external"; brokers: string[] }
  | { state: "running"; brokers: string[]; pid: number; ready: boolean; dataDir: string; logFile: string }
  | { state: "stopped"; dataDir: string };

const readyTimeoutMs = 120_000; // first start on a 2-core machine, JIT still cold
const stopTimeoutMs = 60_000;
const heap = ["-Xms128m", "-Xmx512m"];

export async function startKafka(opts: StartKafkaOptions): Promise<KafkaHandle> {
  const log = opts.log ?? defaultLog;
  const external = opts.own ? undefined : externalBrokers();
  if (external) {
    await waitForKafka(external, { timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`KAFKA_BROKERS=${external.join(",")}: ${err.message}`, { cause: err });
    });
    const refuse = async () => {
      throw new Error(`Kafka is external (KAFKA_BROKERS=${external.join(",")}): meshmart does not manage it, so it cannot stop or start it`);
    };
    return { brokers: external, external: true, stop: refuse, kill: refuse, start: refuse };
  }

  const port = opts.port ?? portFromEnv("MESHMART_KAFKA_PORT") ?? defaultPorts(opts.profile).kafka;
  const broker = new LocalBroker(opts.profile, port, !opts.detached, log, opts.host ?? "127.0.0.1", opts.extraListeners ?? [], opts.version ?? kafkaVersion);
  await broker.ensureRunning();
  return {
    get brokers() {
      return [`${broker.host}:${broker.port}`];
    },
    external: false,
    stop: async () => {
      await broker.stop("SIGTERM");
    },
    kill: async () => {
      await broker.stop("SIGKILL");
    },
    start: () => broker.ensureRunning(),
  };
}

/** Stops the profile's local broker whoever started it (`npm run infra -- down`). */
export async function stopKafka(opts: { profile: string; log?: (line: string) => void }): Promise<boolean> {
  const broker = new LocalBroker(opts.profile, defaultPorts(opts.profile).kafka, false, opts.log ?? defaultLog);
  return broker.stop("SIGTERM");
}

/** The profile's broker; with `own`, the broker of our own even when KAFKA_BROKERS names another (as startKafka's `own`). */
export async function kafkaStatus(opts: { profile: string; own?: boolean }): Promise<KafkaStatus> {
  const external = opts.own ? undefined : externalBrokers();
  if (external) return { state: "external", brokers: external };
  const files = kafkaFiles(opts.profile);
  const state = await readState(files);
  if (!state || !(await isOurBroker(files, state.pid))) return { state: "stopped", dataDir: display(files.dir) };
  const brokers = [`${state.host ?? "127.0.0.1"}:${state.port}`];
  const ready = await probeKafka(brokers).then(() => true, () => false);
  return { state: "running", brokers, pid: state.pid, ready, dataDir: display(files.dir), logFile: display(files.logFile) };
}

function externalBrokers(): string[] | undefined {
  const brokers = (process.env.KAFKA_BROKERS ?? "").split(",").map((b) => b.trim()).filter(Boolean);
  return brokers.length > 0 ? brokers : undefined;
}

interface KafkaFiles {
  dir: string;
  dataDir: string;
  properties: string;
  logFile: string;
  stateFile: string;
  lock: string;
}

function kafkaFiles(profile: string): KafkaFiles {
  const dir = path.join(profileDir(profile), "kafka");
  return {
    dir,
    dataDir: path.join(dir, "data"),
    properties: path.join(dir, "server.properties"),
    logFile: path.join(dir, "server.log"),
    stateFile: path.join(dir, "broker.json"),
    lock: path.join(dir, "start.lock"),
  };
}

/**
 * broker.json: which JVM serves this profile, on which ports. "stopping" is
 * written before the broker is signalled, so that a concurrent start waits
 * for it to exit instead of reusing a broker about to disappear.
 */
interface BrokerState {
  pid: number;
  /** Where it listens and what it advertises; absent in older files: 127.0.0.1. */
  host?: string;
  port: number;
  controllerPort: number;
  state: "running" | "stopping";
  /** The extra listeners it was started with (absent: none). */
  extraListeners?: AdvertisedListener[];
}

async function readState(files: KafkaFiles): Promise<BrokerState | undefined> {
  try {
    return JSON.parse(await readFile(files.stateFile, "utf8")) as BrokerState;
  } catch {
    return undefined;
  }
}

/** The pid is still the JVM we started for this profile (and not a recycled pid). */
async function isOurBroker(files: KafkaFiles, pid: number): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const cmd = await commandLine(pid);
  return cmd === undefined || (cmd.includes("kafka.Kafka") && cmd.includes(files.properties));
}

/** The profile's broker: found through broker.json, started when absent. */
class LocalBroker {
  readonly files: KafkaFiles;
  private started = false;

  /**
   * @param owned whether brokers we launch stop when this process exits. A
   * broker found running on the first start was someone else's: a restart
   * through this handle then stays detached, as we found it.
   */
  constructor(
    readonly profile: string,
    public port: number,
    private owned: boolean,
    readonly log: (line: string) => void,
    public host = "127.0.0.1",
    readonly extraListeners: AdvertisedListener[] = [],
    readonly version: string = kafkaVersion,
  ) {
    this.files = kafkaFiles(profile);
  }

  /** Reuses the profile's running broker, or starts one; resolves once it is ready. */
  async ensureRunning(): Promise<void> {
    await withFileLock(this.files.lock, `Kafka of profile ${this.profile} to start`, async () => {
      let running = await this.findRunning();
      if (running && this.extraListeners.length > 0 && JSON.stringify(running.extraListeners ?? []) !== JSON.stringify(this.extraListeners)) {
        this.log(`Kafka of profile ${this.profile} runs with other listeners than asked for: restarting it`);
        await this.stop("SIGTERM");
        running = undefined;
      }
      if (running) {
        const note = running.port === this.port ? "" : ` (it listens on ${running.port}, not ${this.port})`;
        this.log(`Kafka already running for profile ${this.profile}: reusing pid ${running.pid}${note}`);
        this.port = running.port;
        this.host = running.host ?? "127.0.0.1";
        if (!this.started) this.owned = false;
      } else {
        await this.launch();
      }
      this.started = true;
    }, 10 * 60_000);
  }

  /** Stops the profile's broker (whoever started it); false when none was running. */
  async stop(sig: "SIGTERM" | "SIGKILL"): Promise<boolean> {
    const state = await readState(this.files);
    if (!state || !(await isOurBroker(this.files, state.pid))) {
      await rm(this.files.stateFile, { force: true });
      return false;
    }
    this.log(`${sig === "SIGKILL" ? "killing" : "stopping"} Kafka (pid ${state.pid})`);
    await writeFile(this.files.stateFile, JSON.stringify({ ...state, state: "stopping" }));
    signal(state.pid, sig);
    if (!(await waitForExit(state.pid, sig === "SIGKILL" ? 10_000 : stopTimeoutMs))) {
      this.log(`Kafka pid ${state.pid} did not stop within ${stopTimeoutMs / 1000}s; killing it`);
      signal(state.pid, "SIGKILL");
      await waitForExit(state.pid, 10_000);
    }
    release(state.pid);
    await rm(this.files.stateFile, { force: true });
    return true;
  }

  private async findRunning(): Promise<BrokerState | undefined> {
    const state = await readState(this.files);
    if (!state) return undefined;
    if (!(await isOurBroker(this.files, state.pid))) {
      await rm(this.files.stateFile, { force: true });
      return undefined;
    }
    if (state.state === "stopping") {
      this.log(`waiting for the previous Kafka (pid ${state.pid}) to finish stopping`);
      if (!(await waitForExit(state.pid, stopTimeoutMs))) {
        signal(state.pid, "SIGKILL");
        await waitForExit(state.pid, 10_000);
      }
      await rm(this.files.stateFile, { force: true });
      return undefined;
    }
    const brokers = [`${state.host ?? "127.0.0.1"}:${state.port}`];
    const outcome = await waitForKafka(brokers, { timeoutMs: readyTimeoutMs, deep: true, alive: () => isProcessAlive(state.pid) }).catch(
      (err: Error) => {
        throw new Error(`${err.message}; the broker is pid ${state.pid}, see ${display(this.files.logFile)}`);
      },
    );
    return outcome === "ready" ? state : undefined;
  }

  private async launch(): Promise<void> {
    const { files } = this;
    const controllerPort = this.port + 1;
    for (const p of [this.port, controllerPort, ...this.extraListeners.map((l) => l.port)]) {
      if (await isPortOpen(p, this.host)) {
        throw new Error(
          `port ${p} is already in use by something other than the Kafka of profile ${this.profile}; ` +
            `stop it or choose other ports with MESHMART_KAFKA_PORT (the controller takes the next port)`,
        );
      }
    }
    await requireJava(this.version);
    const classpath = await kafkaClasspath(this.version, this.log);
    const started = Date.now();
    await mkdir(files.dir, { recursive: true });
    await writeFile(
      files.properties,
      serverProperties({ host: this.host, port: this.port, controllerPort, dataDir: files.dataDir, extraListeners: this.extraListeners }),
    );
    const fresh = !existsSync(path.join(files.dataDir, "meta.properties"));
    if (fresh) await this.formatStorage(classpath);

    await rotateLog(files.logFile);
    const logFd = await open(files.logFile, "a");
    await logFd.write(`\n=== meshmart: starting Apache Kafka ${this.version} at ${new Date().toISOString()} ===\n`);
    const child = spawn("java", [...jvmOptions(), "-cp", classpath, "kafka.Kafka", files.properties], {
      cwd: files.dir,
      detached: true, // own session: a terminal's Ctrl-C goes to the owner, which stops us in order
      stdio: ["ignore", logFd.fd, logFd.fd],
    });
    await logFd.close();
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error("could not start java");
    const state: BrokerState = {
      pid,
      host: this.host,
      port: this.port,
      controllerPort,
      state: "running",
      ...(this.extraListeners.length > 0 ? { extraListeners: this.extraListeners } : {}),
    };
    await writeFile(files.stateFile, JSON.stringify(state));
    if (this.owned) {
      adopt(pid, () => {
        writeFileSync(files.stateFile, JSON.stringify({ ...state, state: "stopping" }));
        signal(pid, "SIGTERM");
      });
    }

    let outcome: "ready" | "exited";
    try {
      outcome = await waitForKafka([`${this.host}:${this.port}`], { timeoutMs: readyTimeoutMs, deep: true, alive: () => isProcessAlive(pid) });
    } catch (err) {
      signal(pid, "SIGKILL");
      release(pid);
      await rm(files.stateFile, { force: true });
      throw new Error(`${(err as Error).message}; last lines of ${display(files.logFile)}:\n${await tail(files.logFile)}`, { cause: err });
    }
    if (outcome === "exited") {
      release(pid);
      await rm(files.stateFile, { force: true });
      throw new Error(`Kafka exited during start-up; last lines of ${display(files.logFile)}:\n${await tail(files.logFile)}`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    this.log(
      `Kafka ${this.version} ready on ${this.host}:${this.port} (pid ${pid}, ${fresh ? "formatted and " : ""}started in ${seconds}s, ` +
        `log ${display(files.logFile)})`,
    );
  }

  /** First run only: KRaft needs its log directory formatted with a cluster id. */
  private async formatStorage(classpath: string): Promise<void> {
    // What `kafka-storage random-uuid` prints, and like Kafka's Uuid.randomUuid() never starting with
    // "-": the storage tool would read such an id as an option (1 run in 64 failed to format).
    let clusterId: string;
    do clusterId = randomBytes(16).toString("base64url");
    while (clusterId.startsWith("-"));
    try {
      await promisify(execFile)(
        "java",
        [...jvmOptions(), "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", this.files.properties],
        { cwd: this.files.dir, timeout: 120_000 },
      );
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`formatting Kafka storage in ${display(this.files.dataDir)} failed:\n${(e.stderr || e.stdout || e.message).trim()}`, { cause: err });
    }
  }
}

function jvmOptions(): string[] {
  return [
    ...heap,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    `-Dlog4j.configuration=${pathToFileURL(log4jConfig).href}`,
  ];
}

/** Keeps one previous log once it has grown large; the broker appends. */
async function rotateLog(logFile: string): Promise<void> {
  const size = await stat(logFile).then((s) => s.size, () => 0);
  if (size > 20 * 1024 * 1024) await rename(logFile, `${logFile}.1`);
}

function defaultLog(line: string): void {
  process.stderr.write(`[infra] ${line}\n`);
}
