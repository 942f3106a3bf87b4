// The report from a journal: static (nothing fetched, no script), a chart per
// timeline, the score with NOT-INJECTED apart, and for a broken check the
// operations of the history behind the ids it names.
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Journal, resilienceScore, type ScenarioRecord } from "./journal.ts";
import { operationsBehind, renderReport, writeReport } from "./report-html.ts";
import { perSecond, sagaSeconds } from "./timeline.ts";

const order = "0f9d7a6e-3b1c-4c2d-9e8f-1a2b3c4d5e6f";
const key = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const record = (verdict: ScenarioRecord["verdict"], name: string): ScenarioRecord => ({
  scenario: name,
  group: "processes",
  summary: "a summary",
  proves: "what it proves",
  how: "SIGKILL <inventory>",
  target: "local",
  verdict,
  reasons: ["why"],
  failures: [],
  startedAt: new Date(0).toISOString(),
  seconds: 30,
  accepted: 2,
  checks: [
    { name: "orders: every accepted order exists once and ended", pass: verdict !== "FAIL", offenders: verdict === "FAIL" ? [`${order}: accepted, found 0 times`] : [], summary: "2 orders" },
  ],
  injection: [{ confirmed: verdict !== "NOT-INJECTED", evidence: "inventory exited" }],
  restMs: 1200,
  marks: [{ at: 2_000, event: "fault-injected" }, { at: 4_000, event: "fault-healed" }],
  operations: [
    { at: 500, durationMs: 30, phase: "before", customerId: "c", idempotencyKey: key, attempt: 1, status: 201, orderId: order },
    { at: 2_500, durationMs: 900, phase: "during", customerId: "c", idempotencyKey: "other", attempt: 1, status: 503, retryAfter: "1" },
    { at: 2_600, durationMs: 40, phase: "during", customerId: "c", idempotencyKey: "third", attempt: 1, status: 0, detail: "ECONNREFUSED" },
  ],
  samples: [
    { at: 1_000, outboxBacklog: { orders: 0 }, consumerLag: { inventory: 0 }, sagasPending: 0, sagasConfirmed: 0, sagasCancelled: 0 },
    { at: 2_000, outboxBacklog: { orders: 3 }, consumerLag: { inventory: 5 }, sagasPending: 2, sagasConfirmed: 4, sagasCancelled: 1 },
  ],
});

describe("the HTML report", () => {
  it("is one static page: inline SVG charts with the fault window, nothing fetched, no script", () => {
    const journal = new Journal("local-test", "local", "/tmp/none");
    journal.add(record("PASS", "service-kill"));
    const html = renderReport(journal);
    assert.match(html, /^<!doctype html>/);
    assert.doesNotMatch(html, /<script|<link|\bsrc=|href="https?:|url\(|@import/i);
    assert.equal(html.match(/<svg /g)?.length, 4, "four charts per scenario");
    assert.match(html, /<rect [^>]*fill="#f8d7da"[^>]*><title>fault in place<\/title>/);
    assert.match(html, /PlaceOrder attempts per second/);
    assert.match(html, /outbox backlog and consumer lag/);
  });

  it("gives the score as passed of run, NOT-INJECTED apart", () => {
    const journal = new Journal("local-test", "local", "/tmp/none");
    for (const [v, n] of [["PASS", "a"], ["PASS", "b"], ["FAIL", "c"], ["NOT-INJECTED", "d"]] as const) journal.add(record(v, n));
    assert.match(renderReport(journal), /Resilience score: 67%<\/b> — 2 passed of 3 run \(pass \+ fail\); 1 NOT-INJECTED/);
    assert.deepEqual(resilienceScore(["NOT-INJECTED"]), { run: 0, passed: 0, failed: 0, notInjected: 1, score: undefined });
  });

  it("shows, under a broken check, the operations of the ids it names", () => {
    const failed = record("FAIL", "kafka-outage");
    const ops = operationsBehind(failed.checks[0]!.offenders, failed.operations);
    assert.deepEqual(ops.map((o) => o.idempotencyKey), [key]);
    const journal = new Journal("local-test", "local", "/tmp/none");
    journal.add(failed);
    const html = renderReport(journal);
    assert.match(html, new RegExp(`<code>${order}: accepted, found 0 times</code>`));
    assert.match(html, new RegExp(`<td>${key}</td><td>1</td><td>201</td>`));
  });

  it("writes report.html beside the journal", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "scenario-report-"));
    const journal = new Journal("local-test", "local", dir);
    journal.add(record("PASS", "x"));
    await journal.save();
    const file = await writeReport(journal);
    assert.equal(file, path.join(dir, "report.html"));
    assert.match(await readFile(file, "utf8"), /Fault scenarios: local-test/);
    const saved = JSON.parse(await readFile(path.join(dir, "journal.json"), "utf8")) as { scenarios: ScenarioRecord[]; score: { passed: number } };
    assert.equal(saved.scenarios[0]!.operations.length, 3);
    assert.equal(saved.score.passed, 1);
  });
});

describe("the timeline", () => {
  it("counts each second's attempts by answer with p50/p99, and saga outcomes from counter deltas", () => {
    const seconds = perSecond(record("PASS", "x").operations);
    assert.deepEqual(seconds.map((s) => [s.second, s.sent, s.accepted, s.refused, s.failed]), [[0, 1, 1, 0, 0], [1, 0, 0, 0, 0], [2, 2, 0, 1, 1]]);
    assert.equal(seconds[2]!.p99, 900);
    const sagas = sagaSeconds([
      { at: 0, outboxBacklog: {}, consumerLag: {}, sagasConfirmed: 10, sagasCancelled: 1 },
      { at: 1_000, outboxBacklog: {}, consumerLag: {}, sagasConfirmed: 14, sagasCancelled: 1 },
      { at: 2_000, outboxBacklog: {}, consumerLag: {} },
      { at: 3_000, outboxBacklog: {}, consumerLag: {}, sagasConfirmed: 2, sagasCancelled: 0 },
    ]);
    assert.deepEqual(sagas.map((s) => s.confirmed), [0, 4, 0, 2], "a restart of orders resets its counters: counted from 0, never negative");
  });
});
