// Schemathesis, the OpenAPI fuzzer, as the hostile-clients test runs it: the
// pinned version from scripts/tools/ensure-schemathesis.sh (a venv of its own,
// installed on first use), every check on, bounded in examples and time.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "@meshmart/infra/paths";

export interface FuzzRun {
  readonly exitCode: number | null;
  readonly output: string;
}

/** Installs (once) and returns the path of the `schemathesis` command; throws with the reason when it cannot. */
export function ensureSchemathesis(): string {
  const script = path.join(repoRoot, "scripts", "tools", "ensure-schemathesis.sh");
  const result = spawnSync("bash", [script], { cwd: repoRoot, encoding: "utf8", timeout: 10 * 60_000, stdio: ["ignore", "pipe", "inherit"] });
  const command = result.stdout.trim().split("\n").at(-1);
  if (result.status !== 0 || !command) throw new Error(`${script} exited ${result.status ?? result.signal}: schemathesis is unavailable`);
  return command;
}

export async function runSchemathesis(options: {
  command: string;
  /** URL of the OpenAPI document; its servers entry gives the base URL. */
  schemaUrl: string;
  headers: Record<string, string>;
  maxExamples: number;
  timeoutMs: number;
  seed: number;
}): Promise<FuzzRun> {
  const args = [
    "run",
    options.schemaUrl,
    "--checks",
    "all",
    "--max-examples",
    String(options.maxExamples),
    "--seed",
    String(options.seed),
    // One worker: hypothesis on CPython 3.11 can trip over ast.parse in threads ("AST constructor recursion depth mismatch").
    "--workers",
    "1",
    "--request-timeout",
    "10",
    ...Object.entries(options.headers).flatMap(([name, value]) => ["--header", `${name}: ${value}`]),
  ];
  const env = {
    ...process.env,
    NO_COLOR: "1",
    SCHEMATHESIS_TELEMETRY: "false",
    // Rules the OpenAPI document cannot express, told to the generator (schemathesis_hooks.py).
    SCHEMATHESIS_HOOKS: "schemathesis_hooks",
    PYTHONPATH: path.dirname(fileURLToPath(import.meta.url)),
  };
  // Schemathesis keeps a cache (.schemathesis/) in its working directory: keep it under .local.
  const cwd = path.join(repoRoot, ".local", "schemathesis");
  mkdirSync(cwd, { recursive: true });
  const child = spawn(options.command, args, { cwd, env });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  clearTimeout(timer);
  return { exitCode, output };
}
