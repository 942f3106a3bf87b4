// Cross-process mutual exclusion with an exclusively created lock file, so
// that two processes starting the same profile at once (parallel test files,
// `make dev` next to `make infra-up`) neither run initdb twice nor race to
// spawn two servers on one data directory. A lock whose holder died is taken
// over; the lock file records the holder's pid for that check.
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { isProcessAlive, sleep } from "./processes.ts";

export async function withFileLock<T>(
  lockFile: string,
  what: string,
  fn: () => Promise<T>,
  timeoutMs = 120_000,
): Promise<T> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = await lockHolder(lockFile);
    if (holder === "stale") {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}: ${lockFile} is held by pid ${holder}`);
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}

async function lockHolder(lockFile: string): Promise<number | "stale" | "unknown"> {
  try {
    const pid = Number.parseInt(await readFile(lockFile, "utf8"), 10);
    if (Number.isInteger(pid)) return isProcessAlive(pid) ? pid : "stale";
    // Empty: the holder is between creating and writing it, or died right there.
    const { mtimeMs } = await stat(lockFile);
    return Date.now() - mtimeMs > 10_000 ? "stale" : "unknown";
  } catch {
    return "unknown"; // released while we looked: the next attempt will tell
  }
}
