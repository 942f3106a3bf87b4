// Smoke test of the `make bench` harness: its RPC, events and Kafka-clients sections at their
// quick settings (a second or two each) on the test PostgreSQL and Kafka, and
// the files it writes: results.json well-formed and complete, report.md and
// report.html with every section. Timing is not checked: numbers are the
// benchmark's, never a test's.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { repoRoot } from "@meshmart/infra/paths";
import { serviceNames } from "@meshmart/topology";
import type { BenchResults } from "./bench-results.ts";

test("make bench --quick writes a well-formed results file and both reports", { timeout: 300_000 }, async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), "meshmart-bench-"));
  try {
    const child = spawn(process.execPath, ["--disable-warning=TimeoutNegativeWarning", "--import", "tsx", path.join(repoRoot, "scripts/bench/main.ts"), "--quick", "--sections", "rpc,events,kafka-clients,memory", "--out", out], {
      cwd: repoRoot,
      // The test PostgreSQL and Kafka (scripts/test.ts), used as external servers.
      env: { ...process.env, DATABASE_URL: process.env.MESHMART_TEST_PG_URL },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 0, output);

    const results = JSON.parse(await readFile(path.join(out, "results.json"), "utf8")) as BenchResults;
    assert.equal(results.meta.quick, true);
    assert.equal(results.meta.loadAverage.start.length, 3);
    assert.ok(results.rpc && results.events, "both sections are in the results");
    // Every call x protocol x server, each with a request count and its server's CPU time.
    assert.equal(results.rpc.cells.length, 2 * 3 * 3);
    for (const cell of results.rpc.cells) {
      assert.ok(cell.requests > 0, `${cell.server} ${cell.protocol} ${cell.call} answered nothing`);
      assert.equal(cell.errors, 0, `${cell.server} ${cell.protocol} ${cell.call} failed requests`);
      assert.ok(Number.isFinite(cell.cpuMsPerRequest) && cell.cpuMsPerRequest > 0);
      assert.ok(cell.latency.p99 >= cell.latency.p50);
    }
    for (const key of ["rawKafkaProducerPerSecond", "rawPostgresCommitsPerSecond", "endToEndPerSecond", "outboxWritesPerSecond"] as const) {
      assert.ok(results.events[key] > 0, key);
    }
    assert.ok(results.events.latency.count > 0);
    // The pipeline through each Kafka client, both measured.
    assert.deepEqual(results.kafkaClients?.map((c) => c.client), ["kafkajs", "platformatic"]);
    for (const c of results.kafkaClients ?? []) {
      assert.ok(c.endToEndPerSecond > 0 && c.outboxWritesPerSecond > 0, c.client);
      assert.ok(c.latency.count > 0, `${c.client} latency measured`);
    }
    // Idle memory of every service, as deployed and through tsx, each read from a live process.
    for (const runtime of ["bundleMb", "tsxMb"] as const) {
      const mb = results.memory?.[runtime] ?? {};
      assert.deepEqual(Object.keys(mb).sort(), [...serviceNames].sort(), runtime);
      for (const [name, value] of Object.entries(mb)) assert.ok(value > 0, `${runtime} ${name}: ${value}`);
    }
    // The goals judged from them: the events, RPC and memory ones, each with a verdict.
    assert.ok(results.goals.length >= 5);
    for (const goal of results.goals) assert.equal(typeof goal.met, "boolean", goal.name);

    const markdown = await readFile(path.join(out, "report.md"), "utf8");
    for (const heading of ["## Goals", "## RPC", "## Events", "## Kafka clients", "## Idle memory"]) assert.ok(markdown.includes(heading), heading);
    const html = await readFile(path.join(out, "report.html"), "utf8");
    assert.match(html, /<svg /);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, "the page loads nothing from anywhere");
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
