// The HTML report of a run, made from its journal: one static page (inline
// CSS and SVG, no script, nothing fetched) with the resilience score, the
// verdict table, and per scenario its timeline (orders sent / accepted /
// refused / failed per second, p50 and p99, saga outcomes, outbox backlog and
// consumer lag, the fault window shaded), its checks, and for a broken check
// the exact ids and the operations of the history that break it.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Operation } from "./history.ts";
import type { Journal, ScenarioRecord } from "./journal.ts";
import { resilienceScore } from "./journal.ts";
import { lineChart, stackedBars, type Series } from "./svg-chart.ts";
import { perSecond, sagaSeconds } from "./timeline.ts";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function faultWindow(record: ScenarioRecord): { from: number; to: number } | undefined {
  const injected = record.marks.find((m) => m.event === "fault-injected");
  if (!injected) return undefined;
  const healed = record.marks.find((m) => m.event === "fault-healed");
  const end = healed?.at ?? Math.max(injected.at, ...record.operations.map((o) => o.at));
  return { from: injected.at / 1000, to: end / 1000 };
}

/** The operations of the history that touch any id named in the offenders (order ids, idempotency keys). */
export function operationsBehind(offenders: string[], operations: readonly Operation[]): Operation[] {
  const ids = new Set(offenders.flatMap((o) => o.match(uuid) ?? []).map((id) => id.toLowerCase()));
  if (ids.size === 0) return [];
  return operations.filter((op) => (op.orderId && ids.has(op.orderId.toLowerCase())) || ids.has(op.idempotencyKey.toLowerCase()));
}

function opsTable(ops: Operation[]): string {
  if (ops.length === 0) return "";
  const rows = ops
    .slice(0, 200)
    .map(
      (op) =>
        `<tr><td>${(op.at / 1000).toFixed(2)}s</td><td>${op.op ?? "PlaceOrder"}</td><td>${esc(op.idempotencyKey)}</td><td>${op.attempt}</td><td>${op.status === 0 ? "no answer" : op.status}</td><td>${op.durationMs} ms</td><td>${esc(op.orderId ?? "")}</td><td>${op.phase}</td><td>${esc(op.detail ?? "")}</td></tr>`,
    )
    .join("");
  return `<table class="ops"><tr><th>start</th><th>call</th><th>idempotency key</th><th>try</th><th>status</th><th>took</th><th>order</th><th>phase</th><th>detail</th></tr>${rows}</table>${ops.length > 200 ? `<p>… and ${ops.length - 200} more operations</p>` : ""}`;
}

function charts(record: ScenarioRecord): string {
  const window = faultWindow(record);
  const seconds = perSecond(record.operations);
  const pick = (name: string, color: string, f: (s: (typeof seconds)[number]) => number): Series => ({ name, color, values: seconds.map((s) => ({ x: s.second, y: f(s) })) });
  const traffic = stackedBars(
    "PlaceOrder attempts per second (by answer)",
    [pick("accepted", "#2ca02c", (s) => s.accepted), pick("refused (503/429)", "#ff7f0e", (s) => s.refused), pick("failed", "#d62728", (s) => s.failed)],
    window,
  );
  const latency = lineChart("latency per second (ms)", [pick("p50", "#1f77b4", (s) => s.p50), pick("p99", "#d62728", (s) => s.p99)], window);
  const sagas = sagaSeconds(record.samples);
  const sagaChart = lineChart(
    "sagas: outcomes per second, pending",
    [
      { name: "confirmed/s", color: "#2ca02c", values: sagas.map((s) => ({ x: s.second, y: s.confirmed })) },
      { name: "cancelled/s", color: "#d62728", values: sagas.map((s) => ({ x: s.second, y: s.cancelled })) },
      { name: "pending", color: "#9467bd", values: sagas.map((s) => ({ x: s.second, y: s.pending })) },
    ],
    window,
  );
  const producers = [...new Set(record.samples.flatMap((s) => Object.keys(s.outboxBacklog)))];
  const consumers = [...new Set(record.samples.flatMap((s) => Object.keys(s.consumerLag)))];
  const backlog = lineChart(
    "outbox backlog and consumer lag",
    [
      ...producers.map((p, i) => ({ name: `outbox ${p}`, color: colors[i % colors.length]!, values: record.samples.map((s) => ({ x: s.at / 1000, y: s.outboxBacklog[p as keyof typeof s.outboxBacklog] })) })),
      ...consumers.map((c, i) => ({ name: `lag ${c}`, color: colors[(i + producers.length) % colors.length]!, values: record.samples.map((s) => ({ x: s.at / 1000, y: s.consumerLag[c as keyof typeof s.consumerLag] })) })),
    ],
    window,
  );
  return `<div class="charts">${traffic}${latency}${sagaChart}${backlog}</div>`;
}

function scenarioSection(record: ScenarioRecord): string {
  const checks = record.checks
    .map(
      (c) =>
        `<tr class="${c.pass ? "pass" : "fail"}"><td>${c.pass ? "PASS" : "FAIL"}</td><td>${esc(c.name)}</td><td>${esc(c.summary)}</td></tr>${
          c.pass
            ? ""
            : `<tr class="fail"><td></td><td colspan="2"><details open><summary>${c.offenders.length} offender(s)</summary><ul>${c.offenders.slice(0, 100).map((o) => `<li><code>${esc(o)}</code></li>`).join("")}</ul>${opsTable(operationsBehind(c.offenders, record.operations))}</details></td></tr>`
        }`,
    )
    .join("");
  const injection = record.injection.map((c) => `<li class="${c.confirmed ? "pass" : "fail"}">${c.confirmed ? "confirmed" : "NOT confirmed"}: ${esc(c.evidence)}</li>`).join("");
  return `<section id="${esc(record.scenario)}">
<h2>${esc(record.scenario)} <span class="badge ${record.verdict}">${record.verdict}</span></h2>
<p>${esc(record.summary)}. <em>Proves:</em> ${esc(record.proves)}</p>
<p><b>Fault (${esc(record.target)}):</b> ${esc(record.how)}</p>
<p>${record.seconds.toFixed(1)} s, ${record.accepted} orders accepted, ${record.operations.length} operations${record.restMs !== undefined ? `, at rest ${(record.restMs / 1000).toFixed(1)} s after the load` : ""}.</p>
<ul class="reasons">${record.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>
${charts(record)}
<h3>Fault confirmations</h3><ul>${injection || "<li>none: nothing was injected</li>"}</ul>
<h3>Checks</h3><table class="checks">${checks}</table>
</section>`;
}

export function renderReport(journal: Journal): string {
  const score = resilienceScore(journal.scenarios.map((s) => s.verdict));
  const rows = journal.scenarios
    .map((s) => `<tr><td><a href="#${esc(s.scenario)}">${esc(s.scenario)}</a></td><td>${esc(s.group)}</td><td><span class="badge ${s.verdict}">${s.verdict}</span></td><td>${s.seconds.toFixed(1)} s</td><td>${s.accepted}</td><td>${esc(s.reasons[0] ?? "")}</td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meshmart scenarios: ${esc(journal.run)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.badge{padding:1px 6px;border-radius:3px;color:#fff;font-size:12px}.PASS{background:#2ca02c}.FAIL{background:#d62728}.NOT-INJECTED{background:#888}.DRY-RUN{background:#1f77b4}
tr.fail td{background:#fff0f0}li.fail{color:#a00}.charts{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}figcaption{font-size:12px;color:#555}
table.ops{font-size:12px}section{border-top:2px solid #eee;margin-top:2em}code{font-size:12px}
</style></head><body>
<h1>Fault scenarios: ${esc(journal.run)}</h1>
<p>Target <b>${esc(journal.target)}</b>, started ${esc(journal.startedAt.toISOString())}. Journal: <code>journal.json</code> beside this page.</p>
<p><b>Resilience score: ${score.score === undefined ? "none (nothing was proven either way)" : `${(score.score * 100).toFixed(0)}%`}</b> — ${score.passed} passed of ${score.run} run (pass + fail); ${score.notInjected} NOT-INJECTED, counted apart (the fault could not be confirmed, so nothing was proven).</p>
<table><tr><th>scenario</th><th>group</th><th>verdict</th><th>time</th><th>accepted</th><th>why</th></tr>${rows}</table>
${journal.scenarios.map(scenarioSection).join("\n")}
</body></html>
`;
}

export async function writeReport(journal: Journal): Promise<string> {
  const file = path.join(journal.dir, "report.html");
  await mkdir(journal.dir, { recursive: true });
  await writeFile(file, renderReport(journal));
  return file;
}
