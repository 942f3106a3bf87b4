// The pinned tools scripts/tools/ensure-tool.sh builds (once per machine, from
// the Go module proxy) and caches, from TypeScript: their paths, with the
// build's progress passed through to the caller's stderr.
import { spawn } from "node:child_process";
import path from "node:path";
import { repoRoot } from "./paths.ts";

export const ensureToolScript = path.join(repoRoot, "scripts", "tools", "ensure-tool.sh");

/** Makes sure every tool is built and returns name -> path. */
export async function ensureTools<T extends string>(names: readonly T[]): Promise<Record<T, string>> {
  const child = spawn("bash", [ensureToolScript, ...names], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`could not get ${names.join(", ")}: ${ensureToolScript} exited ${code} (its reason is printed above)`);
  const paths = stdout.trim().split("\n");
  if (paths.length !== names.length) throw new Error(`ensure-tool.sh printed ${paths.length} paths for ${names.length} tools`);
  return Object.fromEntries(names.map((name, i) => [name, paths[i]!])) as Record<T, string>;
}
