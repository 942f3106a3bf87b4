// `make scenarios`: the fault-injection scenarios, each with an honest verdict
// (PASS, FAIL with the failing checks and ids, or NOT-INJECTED with why),
// against the local processes or a Kubernetes cluster; a journal and an HTML
// report per run in .local/scenarios/<run>/.
//   npx tsx services/e2e/src/scenarios/main.ts [--target local|kind] [--scenario NAME]... [--quick] [--dry-run] [--report] [--list]
import { spawn } from "node:child_process";
import path from "node:path";
import { repoRoot } from "@meshmart/infra/paths";
import { parseCliOptions, usage, type CliOptions } from "./cli-options.ts";
import { Journal, resilienceScore } from "./journal.ts";
import { LocalTarget } from "./local-target.ts";
import { writeReport } from "./report-html.ts";
import { findScenario, listScenarios, quickScenarios, scenariosFor } from "./scenario-definitions.ts";
import { runScenario, type ScenarioResult } from "./scenario-runner.ts";
import type { Target } from "./target.ts";
import { exitCode, formatTable } from "./verdict.ts";
import { exitFlushed } from "../exit-flushed.ts";

let options: CliOptions;
try {
  options = parseCliOptions(process.argv.slice(2));
} catch (err) {
  console.error(`scenarios: ${(err as Error).message}\n\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}
if (options.list) {
  console.log(listScenarios());
  process.exit(0);
}
if (process.env.DRY_RUN === "1") options.dryRun = true;

const selected =
  options.scenarios.length > 0
    ? options.scenarios.map((name) => findScenario(name)!)
    : options.quick
      ? quickScenarios().filter((s) => s.how[options.target])
      : scenariosFor(options.target);
const log = (line: string) => console.log(line);
const started = Date.now();

let target: Target;
if (options.target === "kind") {
  const { KindTarget } = await import("./kind-target.ts");
  target = new KindTarget({
    dryRun: options.dryRun,
    namespace: options.namespace,
    portOffset: options.portOffset,
    ...(options.gateway ? { gatewayUrl: options.gateway } : {}),
    ...(options.context ? { context: options.context } : {}),
  });
} else {
  target = new LocalTarget(options.dryRun, options.profile);
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const run = `${options.target}-${stamp}`;
const journal = new Journal(run, options.target, path.join(repoRoot, ".local", "scenarios", run));
const results: ScenarioResult[] = [];
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`scenarios: ${signal}: finishing the current scenario (healing its fault), then stopping`);
  });
}

const save = async () => {
  if (options.dryRun) return;
  await journal.save();
  await writeReport(journal);
};

log(`scenarios: ${selected.map((s) => s.name).join(", ")} on ${options.target}${options.dryRun ? " (dry run: nothing is changed)" : ""}`);
let openError: Error | undefined;
try {
  await target.open((line) => {
    log(line);
    journal.entry("step", line);
  });
  for (const scenario of selected) {
    if (interrupted) break;
    const result = await runScenario(scenario, target, { journal, print: log });
    results.push(result);
    if (result.record) journal.add(result.record);
    await save();
  }
} catch (err) {
  openError = err as Error;
  log(`scenarios: ${openError.message}`);
  journal.entry("error", openError.message);
} finally {
  await target.close(log).catch((err: Error) => log(`scenarios: closing the ${options.target} target failed: ${err.message}`));
}

const seconds = (Date.now() - started) / 1000;
const rows = selected.map((scenario) => {
  const result = results.find((r) => r.scenario === scenario.name);
  if (!result) {
    // The error itself is printed once, above: not again in each scenario's row.
    const why = openError ? "not run: the target could not be opened (the error above)" : "not run (interrupted)";
    return { scenario: scenario.name, target: options.target, verdict: options.dryRun ? ("DRY-RUN" as const) : ("NOT-INJECTED" as const), seconds: 0, accepted: 0, detail: why };
  }
  if (!result.verdict) return { scenario: result.scenario, target: result.target, verdict: "DRY-RUN" as const, seconds: result.seconds, accepted: 0, detail: "plan printed, nothing changed" };
  const { verdict } = result;
  const detail =
    verdict.kind === "FAIL" && verdict.failures.length > 0
      ? verdict.failures.map((f) => `${f.name}: ${f.offenders.slice(0, 3).join("; ")}${f.offenders.length > 3 ? ` (+${f.offenders.length - 3})` : ""}`).join(" | ")
      : verdict.reasons.join("; ");
  return { scenario: result.scenario, target: result.target, verdict: verdict.kind, seconds: result.seconds, accepted: result.accepted, detail };
});
await save();

log("");
log(formatTable(rows));
log("");
const score = resilienceScore(rows.map((r) => r.verdict));
if (!options.dryRun) {
  log(
    `scenarios: resilience score ${score.score === undefined ? "n/a" : `${(score.score * 100).toFixed(0)}%`} (${score.passed} passed of ${score.run} run; ${score.notInjected} NOT-INJECTED, counted apart)`,
  );
}
log(`scenarios: ${rows.length} scenario(s) in ${seconds.toFixed(0)}s${options.dryRun ? " (dry run)" : `; journal and report in ${path.relative(process.cwd(), journal.dir)}`}`);
if (options.report && !options.dryRun) {
  const report = path.join(journal.dir, "report.html");
  log(`scenarios: report ${report}`);
  const opener = process.platform === "darwin" ? "open" : "xdg-open";
  if (process.env.DISPLAY || process.platform === "darwin") spawn(opener, [report], { stdio: "ignore", detached: true }).on("error", () => {}).unref();
}
const code = openError ? 1 : exitCode(rows.map((r) => r.verdict));
await exitFlushed(code);
