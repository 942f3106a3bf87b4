// The quick subset of the fault scenarios (scenario-definitions.ts: quick) on
// the local target, as a user runs it (`make scenarios ARGS=--quick`): its own
// PostgreSQL, Kafka broker and Toxiproxy (profile scenarios-quick), six
// service processes per scenario. Every one must PASS, and the run must leave
// its journal and HTML report.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { portFromEnv } from "@meshmart/infra/ports";
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
  it("every quick scenario PASSes, and the run writes its journal and HTML report", () => {
    const result = spawnSync(process.execPath, ["--disable-warning=TimeoutNegativeWarning", "--import", "tsx", main, "--quick", "--profile", "scenarios-quick"], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 14 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...inherited, ...moved("MESHMART_PG_PORT", 20), ...moved("MESHMART_KAFKA_PORT", 20), ...moved("MESHMART_TOXIPROXY_PORT", 100) },
    });
    const out = `${result.stdout}${result.stderr}`;
    const names = quickScenarios().map((s) => s.name);
    for (const name of names) {
      const verdict = new RegExp(`^${name}\\s+local\\s+(\\S+)\\s+(\\S+)`, "m").exec(out);
      assert.equal(verdict?.[1], "PASS", `${name}:\n${out.slice(-6000)}`);
      console.log(`[quick-suite] ${name}: PASS in ${verdict[2]}`);
    }
    assert.equal(result.status, 0, out.slice(-3000));
    const dir = /journal and report in (\S+)/.exec(out)?.[1];
    assert.ok(dir, out.slice(-2000));
    const journal = JSON.parse(readFileSync(path.resolve(repoRoot, dir, "journal.json"), "utf8")) as { scenarios: ScenarioRecord[]; score: { passed: number; score: number } };
    assert.deepEqual(journal.scenarios.map((s) => s.scenario), names);
    assert.equal(journal.score.score, 1);
    for (const s of journal.scenarios) {
      assert.ok(s.operations.length > 20, `${s.scenario}: ${s.operations.length} operations in the journal`);
      assert.ok(s.samples.length > 5, `${s.scenario}: ${s.samples.length} gauge samples`);
    }
    const report = readFileSync(path.resolve(repoRoot, dir, "report.html"), "utf8");
    for (const name of names) assert.match(report, new RegExp(`<section id="${name}">`));
    assert.match(report, /Resilience score: 100%/);
  });
});
