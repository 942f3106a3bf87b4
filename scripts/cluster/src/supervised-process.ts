// The cluster's processes: each started detached with its log in logs/ and
// its pid (with the process's start time, so a recycled pid is never mistaken
// for it) in pids/, and stopped by that pid, never by name. A process whose
// pid file is left behind by a crash is found again, or recognised as gone.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { isProcessAlive, signal, sleep, tail, waitForExit } from "@meshmart/infra/processes";

export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  readonly startTime: string;
  readonly command: string;
}

export interface StartProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly pidsDir: string;
  readonly logsDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function logFile(logsDir: string, name: string): string {
  return path.join(logsDir, `${name}.log`);
}

/** Starts a process in its own session, appending to logs/<name>.log, and records its pid. */
export async function startProcess(options: StartProcessOptions): Promise<ProcessRecord> {
  await mkdir(options.pidsDir, { recursive: true });
  await mkdir(options.logsDir, { recursive: true });
  const log = await open(logFile(options.logsDir, options.name), "a");
  const child = spawn(options.command, [...options.args], {
    detached: true,
    stdio: ["ignore", log.fd, log.fd],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  await log.close();
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once("error", resolve));
    throw new Error(`could not start ${options.name} (${options.command}): ${error.message}`);
  }
  child.unref();
  const record: ProcessRecord = { name: options.name, pid, startTime: processStartTime(pid) ?? "", command: options.command };
  await writeFile(path.join(options.pidsDir, `${options.name}.pid`), JSON.stringify(record) + "\n");
  return record;
}

/** A recorded process that is still the same process. */
export function isRecordAlive(record: ProcessRecord): boolean {
  return isProcessAlive(record.pid) && processStartTime(record.pid) === record.startTime;
}

export async function readRecords(pidsDir: string): Promise<ProcessRecord[]> {
  let entries: string[];
  try {
    entries = await readdir(pidsDir);
  } catch {
    return [];
  }
  const records: ProcessRecord[] = [];
  for (const entry of entries.filter((e) => e.endsWith(".pid")).sort()) {
    try {
      records.push(JSON.parse(await readFile(path.join(pidsDir, entry), "utf8")) as ProcessRecord);
    } catch {
      // a half-written pid file: the process it named was never recorded as started
    }
  }
  return records;
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. Returns whether it was running. */
export async function stopRecord(record: ProcessRecord, pidsDir: string, graceMs = 10_000): Promise<boolean> {
  const running = isRecordAlive(record);
  if (running) {
    signal(record.pid, "SIGTERM");
    if (!(await waitForExit(record.pid, graceMs))) {
      signal(record.pid, "SIGKILL");
      await waitForExit(record.pid, 5_000);
    }
  }
  await rm(path.join(pidsDir, `${record.name}.pid`), { force: true });
  return running;
}

/** Polls `check` until it resolves true; on timeout or when the process dies, fails with the end of its log. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; record?: ProcessRecord; logsDir?: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const died = options.record !== undefined && !isRecordAlive(options.record);
    if (died || Date.now() > deadline) {
      const log = options.record && options.logsDir ? `\nlast lines of ${logFile(options.logsDir, options.record.name)}:\n${await tail(logFile(options.logsDir, options.record.name), 25)}` : "";
      throw new Error(`${what}: ${died ? "the process exited" : `not ready after ${options.timeoutMs / 1000} s`}${log}`);
    }
    await sleep(250);
  }
}
