// The rules as Prometheus sees them: the committed rules file is what the
// code generates, promtool accepts it (check rules), and the unit tests of
// the alerts pass (test rules: synthetic series in
// services/observability/prometheus/meshmart.rules.test.yaml). And the rules follow
// the topology table: every service has its 5xx alert, every publisher its
// outbox alert, every consumer its lag and dead-letter alerts.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";
import { serviceNames, services } from "@meshmart/topology";
import { ensureTools } from "@meshmart/infra/tools";
import { generatedFiles, rulesFilePath, rulesTestPath } from "./generated-files.ts";
import { ruleGroups, type AlertingRule } from "./prometheus-rules.ts";

const run = promisify(execFile);

describe("Prometheus rules", () => {
  let promtool: string;
  before(async () => {
    ({ promtool } = await ensureTools(["promtool"]));
  });

  it("the committed rules file and dashboards are what the code generates", () => {
    for (const file of generatedFiles()) {
      assert.equal(readFileSync(file.path, "utf8"), file.text, `${path.relative(process.cwd(), file.path)} is stale: npm run generate -w @meshmart/observability`);
    }
  });

  it("promtool check rules accepts the rules file", async () => {
    const { stdout } = await run(promtool, ["check", "rules", rulesFilePath]);
    const count = ruleGroups().reduce((n, g) => n + g.rules.length, 0);
    assert.match(stdout, new RegExp(`SUCCESS: ${count} rules found`));
  });

  it("promtool test rules: every alert's unit tests pass", async () => {
    const result = await run(promtool, ["test", "rules", path.basename(rulesTestPath)], { cwd: path.dirname(rulesTestPath) }).catch((err: { stdout: string; stderr: string }) => err);
    assert.match(`${result.stdout}${result.stderr}`, /SUCCESS/, `${result.stdout}${result.stderr}`);
  });

  it("promtool test rules fails when an alert does not fire as the tests expect", async () => {
    // The same tests against rules whose thresholds are out of reach: the test must notice.
    const loose = readFileSync(rulesFilePath, "utf8").replaceAll(/> (\d+(\.\d+)?)$/gm, "> 1e12");
    const dir = mkdtempSync(path.join(tmpdir(), "meshmart-promtool-"));
    writeFileSync(path.join(dir, "meshmart.rules.yaml"), loose);
    copyFileSync(rulesTestPath, path.join(dir, "meshmart.rules.test.yaml"));
    const failed = await run(promtool, ["test", "rules", "meshmart.rules.test.yaml"], { cwd: dir }).then(() => false, () => true);
    assert.ok(failed, "promtool test rules passed against rules that never fire");
  });

  it("follows the topology: a 5xx alert per service, outbox alerts for publishers, lag and dead-letter alerts for consumers", () => {
    const alerts = ruleGroups().flatMap((g) => g.rules).filter((r): r is AlertingRule => "alert" in r);
    const names = new Set(alerts.map((a) => a.alert));
    const pascal = (n: string) => n.charAt(0).toUpperCase() + n.slice(1);
    for (const name of serviceNames) {
      assert.ok(names.has(`${pascal(name)}High5xxRatio`), `${name} has a 5xx alert`);
      assert.equal(names.has(`${pascal(name)}OutboxStalled`), services[name].produces.length > 0, `${name}: outbox alert iff it publishes`);
      assert.equal(names.has(`${pascal(name)}ConsumerLagHigh`), services[name].consumes.length > 0, `${name}: lag alert iff it consumes`);
      assert.equal(names.has(`${pascal(name)}DeadLetters`), services[name].consumes.length > 0, `${name}: DLQ alert iff it consumes`);
    }
    for (const alert of alerts) assert.ok(alert.labels.severity && alert.annotations.summary && alert.annotations.description, alert.alert);
  });
});
