// Test support: external tools (shellcheck, helm) through the repository's
// ensure scripts, which install them when missing. A test that cannot get its
// tool skips with the reason spelled out, never silently.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../src/helm-chart.ts";

export { repoRoot };

export interface Tool {
  readonly path?: string;
  /** Why the tool is unavailable (set when path is not). */
  readonly reason?: string;
}

const cache = new Map<string, Tool>();

/** Runs scripts/tools/ensure-<name>.sh (idempotent) and returns the tool's path, or why it is missing. */
export function ensureTool(name: "helm" | "shellcheck", timeoutMs = 15 * 60_000): Tool {
  const cached = cache.get(name);
  if (cached) return cached;
  const script = join(repoRoot, "scripts", "tools", `ensure-${name}.sh`);
  const result = spawnSync("bash", [script], { cwd: repoRoot, encoding: "utf8", timeout: timeoutMs });
  const path = result.stdout.trim().split("\n").at(-1);
  const tool: Tool =
    result.status === 0 && path
      ? { path }
      : { reason: `SKIPPED LOUDLY: ${name} is unavailable (${script} exited ${result.status ?? result.signal}): ${result.stderr.trim()}` };
  if (tool.reason) console.warn(`\n*** ${tool.reason}\n`);
  cache.set(name, tool);
  return tool;
}

export function runTool(path: string, args: readonly string[], cwd = repoRoot): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(path, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
