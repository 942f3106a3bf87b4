// Test support: external tools (shellcheck, helm, kubectl, istioctl,
// kube-score) through the repository's ensure scripts, which install or build
// them when missing. A test that cannot get its tool fails with the reason
// spelled out: nothing is skipped.

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

export type ToolName = "shellcheck" | "helm" | "kubectl" | "istioctl" | "kube-score";

/**
 * Makes sure a tool is there and returns its path, or why it is missing:
 * shellcheck from Debian (scripts/tools/ensure-shellcheck.sh), the others
 * built from the Go module proxy and cached (scripts/tools/ensure-tool.sh).
 */
export function ensureTool(name: ToolName, timeoutMs = 30 * 60_000): Tool {
  const cached = cache.get(name);
  if (cached) return cached;
  const [script, args] =
    name === "shellcheck" ? [join(repoRoot, "scripts", "tools", "ensure-shellcheck.sh"), []] : [join(repoRoot, "scripts", "tools", "ensure-tool.sh"), [name]];
  // stderr (the build's progress) goes to the test's output as it happens.
  const result = spawnSync("bash", [script, ...args], { cwd: repoRoot, encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "inherit"] });
  const path = result.stdout.trim().split("\n").at(-1);
  const tool: Tool =
    result.status === 0 && path
      ? { path }
      : { reason: `${name} is unavailable (${script} exited ${result.status ?? result.signal}; its reason is printed above)` };
  if (tool.reason) console.warn(`\n*** ${tool.reason}\n`);
  cache.set(name, tool);
  return tool;
}

export function runTool(path: string, args: readonly string[], cwd = repoRoot): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(path, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
