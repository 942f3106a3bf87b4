// Ends a command with `code` once what it wrote to stdout and stderr has gone
// out. process.exit() drops writes still queued, and a pipe whose reader lags
// (a test's spawnSync on a loaded machine) can leave them queued: a scenarios
// dry run once ended after 172 of its 300 lines with exit code 0 (load
// average 22), which is how we read it.
export async function exitFlushed(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write("", () => resolve()))));
  process.exit(code);
}
