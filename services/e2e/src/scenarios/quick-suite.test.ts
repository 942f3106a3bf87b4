// The quick subset of the fault scenarios (scenario-definitions.ts: quick) on
// the local target, as a user runs it (`make scenarios ARGS=--quick`): its own
// PostgreSQL, Kafka broker and Toxiproxy (profile scenarios-quick), every
// service as a process, per scenario. Every fault must be injected, every
// invariant and every correctness check of the hypothesis must hold, and the
// run must leave its journal and HTML report. The two load-sensitive client
// bounds (share of orders accepted, p99 latency) are judged in the verdict and
// printed here, not asserted: inside `make test` the scenarios share two cores
// with the rest of the suite, so those numbers measure the machine as much as
// the platform. `make scenarios ARGS=--quick` holds them to the bound.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { portFromEnv } from "@meshmart/infra/ports";
import { isLoadSensitiveBound } from "./hypothesis.ts";
import type { ScenarioRecord } from "./journal.ts";
import { quickScenarios } from "./scenario-definitions.ts";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..", "..");
const main = path.join(import.meta.dirname, "main.ts");

// The suite's own PostgreSQL and Kafka are not the scenarios' (they stop theirs).
const { KAFKA_BROKERS: _k, DATABASE_URL: _d, MESHMART_TEST_PG_URL: _t, ...inherited } = process.env;
// MESHMART_*_PORT move every profile: keep this one clear of the suite's.
const moved = (name: string, by: number) => {
  const port = portFromEnv(name);
  return port === undefined ? {} : { [name]: String(port + by) };
};

describe("the quick scenarios on the local target", { timeout: 15 * 60_000 }, () => {
  it("every quick scenario is injected and keeps every invariant, and the run writes its journal and HTML report", () => {
    const result = spawnSync(process.execPath, ["--disable-warning=TimeoutNegativeWarning", "--import", "tsx", main, "--quick", "--profile", "scenarios-quick"], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 14 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...inherited, ...moved("MESHMART_PG_PORT", 20), ...moved("MESHMART_KAFKA_PORT", 20), ...moved("MESHMART_TOXIPROXY_PORT", 100) },
    });
    const out = `${result.stdout}${result.stderr}`;
    const names = quickScenarios().map((s) => s.name);
    const dir = /journal and report in (\S+)/.exec(out)?.[1];
    assert.ok(dir, `the run names its journal:\n${out.slice(-6000)}`);
    const journal = JSON.parse(readFileSync(path.resolve(repoRoot, dir, "journal.json"), "utf8")) as { scenarios: ScenarioRecord[] };
    assert.deepEqual(journal.scenarios.map((s) => s.scenario), names);
    for (const s of journal.scenarios) {
      assert.notEqual(s.verdict, "NOT-INJECTED", `${s.scenario}: ${s.reasons.join("; ")}`);
      const broken = s.failures.filter((f) => !isLoadSensitiveBound(f.name));
      assert.deepEqual(broken, [], `${s.scenario}: a check other than the load-sensitive client bounds failed:\n${out.slice(-6000)}`);
      assert.ok(s.operations.length > 20, `${s.scenario}: ${s.operations.length} operations in the journal`);
      assert.ok(s.samples.length > 5, `${s.scenario}: ${s.samples.length} gauge samples`);
      assert.ok(existsSync(path.resolve(repoRoot, dir, `${s.scenario}.services.log`)), `${s.scenario}: the services' output is kept beside the journal`);
      if (s.verdict === "PASS") console.log(`[quick-suite] ${s.scenario}: PASS in ${s.seconds} s`);
      else console.warn(`[quick-suite] ${s.scenario}: ${s.verdict} on load-sensitive client bounds only: ${s.reasons.join("; ")}`);
    }
    // The run exits 1 on any FAIL; with only bound failures left, that is the one allowed non-zero.
    const anyFail = journal.scenarios.some((s) => s.verdict !== "PASS");
    assert.equal(result.status, anyFail ? 1 : 0, out.slice(-3000));
    const report = readFileSync(path.resolve(repoRoot, dir, "report.html"), "utf8");
    for (const name of names) assert.match(report, new RegExp(`<section id="${name}">`));
    assert.match(report, /Resilience score: \d+%/);
  });
});
