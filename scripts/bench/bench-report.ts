// The readable report of a `make bench` run: Markdown and a static HTML page
// (charts as inline SVG, nothing fetched from anywhere), every figure beside
// its baseline from the same run, ratios first.
import type { BenchResults } from "./bench-results.ts";

interface Table {
  title: string;
  head: string[];
  rows: string[][];
}

interface Bars {
  title: string;
  unit: string;
  groups: Array<{ label: string; bars: Array<{ label: string; value: number }> }>;
}

interface Lines {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Array<{ label: string; points: Array<[number, number]> }>;
  /** A horizontal reference line. */
  limit?: { label: string; y: number };
}

const n = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? "n/a" : String(Math.round(v * 10 ** digits) / 10 ** digits));
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? n(a / b, 2) : "n/a");

function sections(r: BenchResults): { tables: Table[]; bars: Bars[]; lines: Lines[] } {
  const tables: Table[] = [];
  const bars: Bars[] = [];
  const lines: Lines[] = [];
  tables.push({ title: "Goals (issue 11)", head: ["goal", "target", "measured", "met"], rows: r.goals.map((g) => [g.name, g.target, g.value, g.met === null ? "n/a" : g.met ? "yes" : "NO"]) });

  if (r.rpc) {
    const cell = (call: string, protocol: string, server: string) => r.rpc!.cells.find((c) => c.call === call && c.protocol === protocol && c.server === server);
    const rows: string[][] = [];
    const groups: Bars["groups"] = [];
    for (const call of ["no-db", "GetProduct"]) {
      for (const protocol of ["connect-json", "connect-binary", "grpc"]) {
        const raw = cell(call, protocol, "raw");
        const bare = cell(call, protocol, "connect");
        const platform = cell(call, protocol, "platform");
        if (!raw || !bare || !platform) continue;
        rows.push([
          call,
          protocol,
          `${platform.rps}`,
          `${bare.rps}`,
          `${raw.rps}`,
          ratio(platform.rps, bare.rps),
          ratio(platform.rps, raw.rps),
          `${platform.latency.p50} / ${platform.latency.p99}`,
          `${bare.latency.p50} / ${bare.latency.p99}`,
          `${raw.latency.p50} / ${raw.latency.p99}`,
          `${platform.cpuMsPerRequest} / ${bare.cpuMsPerRequest} / ${raw.cpuMsPerRequest}`,
        ]);
        groups.push({ label: `${call} ${protocol}`, bars: [{ label: "platform", value: platform.rps }, { label: "bare connect", value: bare.rps }, { label: `raw ${protocol === "grpc" ? "http2" : "http"}`, value: raw.rps }] });
      }
    }
    tables.push({
      title: `RPC (closed loop, ${r.rpc.concurrency} in flight, ${r.rpc.durationMs / 1000} s per cell; raw = node:http for Connect, node:http2 for gRPC)`,
      head: ["call", "protocol", "platform req/s", "bare connect req/s", "raw req/s", "platform / bare", "platform / raw", "platform p50/p99 ms", "bare p50/p99 ms", "raw p50/p99 ms", "server CPU ms/req platform / bare / raw"],
      rows,
    });
    bars.push({ title: "RPC requests/s", unit: "req/s", groups });
  }

  if (r.events) {
    const e = r.events;
    tables.push({
      title: `Events (${e.events} events, ${e.concurrency} writers)`,
      head: ["figure", "value", "baseline", "ratio"],
      rows: [
        ["end to end: outbox -> relay -> Kafka -> consumer + inbox", `${e.endToEndPerSecond} events/s`, `raw kafkajs producer ${e.rawKafkaProducerPerSecond} msg/s`, `${e.ratioToRawKafka}`],
        ["end to end (same)", `${e.endToEndPerSecond} events/s`, `raw PostgreSQL ${e.rawPostgresCommitsPerSecond} commits/s`, `${e.ratioToRawPostgres}`],
        ["outbox writes (event + row in one transaction)", `${e.outboxWritesPerSecond} events/s`, `raw PostgreSQL ${e.rawPostgresCommitsPerSecond} commits/s`, ratio(e.outboxWritesPerSecond, e.rawPostgresCommitsPerSecond)],
        [`commit -> consumed at ${e.latencyRate}/s offered`, `p50 ${e.latency.p50} ms, p99 ${e.latency.p99} ms, max ${e.latency.max} ms`, "", ""],
      ],
    });
    bars.push({ title: "Events/s", unit: "/s", groups: [{ label: "throughput", bars: [{ label: "pipeline", value: e.endToEndPerSecond }, { label: "raw PostgreSQL commits", value: e.rawPostgresCommitsPerSecond }, { label: "raw kafkajs", value: e.rawKafkaProducerPerSecond }] }] });
  }

  if (r.kafkaClients && r.kafkaClients.length > 0) {
    const k = r.kafkaClients;
    tables.push({
      title: `Kafka clients: the same event pipeline through each (KAFKA_CLIENT), same broker; latency at ${k[0]!.latencyRate}/s offered`,
      head: ["client", "end to end events/s", "outbox writes events/s", "commit -> consumed p50 ms", "p99 ms", "max ms"],
      rows: k.map((c) => [c.client, `${c.endToEndPerSecond}`, `${c.outboxWritesPerSecond}`, `${c.latency.p50}`, `${c.latency.p99}`, `${c.latency.max}`]),
    });
    bars.push({ title: "Events/s by Kafka client", unit: "/s", groups: [{ label: "end to end", bars: k.map((c) => ({ label: c.client, value: c.endToEndPerSecond })) }] });
  }

  if (r.kafkaResume && r.kafkaResume.length > 0) {
    const k = r.kafkaResume;
    tables.push({
      title: `Kafka clients: time to resume, kill -9 of the consumer (or a graceful stop) to the first event its replacement handles; session timeout ${k[0]!.sessionTimeoutMs / 1000} s`,
      head: ["client", "after kill -9 s", "after a graceful stop s"],
      rows: k.map((c) => [c.client, (c.afterKillMs / 1000).toFixed(1), (c.afterStopMs / 1000).toFixed(1)]),
    });
    bars.push({ title: "Seconds to resume by Kafka client", unit: "s", groups: [{ label: "after kill -9", bars: k.map((c) => ({ label: c.client, value: Math.round(c.afterKillMs / 100) / 10 })) }, { label: "after a graceful stop", bars: k.map((c) => ({ label: c.client, value: Math.round(c.afterStopMs / 100) / 10 })) }] });
  }

  if (r.sagas) {
    const s = r.sagas;
    tables.push({
      title: `Sagas: rising rates (${s.steps[0] ? s.steps[0].durationMs / 1000 : 0} s each), until p99 passes 1 s`,
      head: ["offered/s", "accepted", "refused", "errors", "PlaceOrder p50/p99 ms", "saga p50 ms", "saga p90 ms", "saga p99 ms", "saga max ms", "goodput confirmed/s", "commits/order", "holds"],
      rows: s.steps.map((t) => [
        `${t.rate}`,
        `${t.accepted}/${t.sent}`,
        `${t.refused}`,
        `${t.errors}`,
        `${t.placeLatency.p50} / ${t.placeLatency.p99}`,
        `${t.saga.latency.p50}`,
        `${t.saga.latency.p90}`,
        `${t.saga.latency.p99}`,
        `${t.saga.latency.max}`,
        `${t.goodput}`,
        `${t.commitsPerOrder}`,
        t.holds ? "yes" : "no",
      ]),
    });
    tables.push({
      title: "Sagas: the highest rate that holds, beside the commit-bound limit",
      head: ["figure", "value", "baseline", "ratio"],
      rows: [
        ["highest rate with saga p99 <= 1 s", `${s.highestHoldingRate} orders/s`, `commit-bound limit ${s.commitBoundLimit} orders/s (${s.rawCommitsPerSecond} raw commits/s / ${s.commitsPerOrder} commits per order)`, ratio(s.highestHoldingRate, s.commitBoundLimit)],
        ["idle commits in the services' databases", `${s.idleCommitsPerSecond}/s`, "(subtracted from each step)", ""],
      ],
    });
    lines.push({
      title: "Saga latency by offered rate",
      xLabel: "orders/s offered",
      yLabel: "ms",
      series: [
        { label: "p50", points: s.steps.map((t) => [t.rate, t.saga.latency.p50]) },
        { label: "p99", points: s.steps.map((t) => [t.rate, t.saga.latency.p99]) },
      ],
      limit: { label: "1 s", y: 1000 },
    });
    if (s.overload) {
      const o = s.overload;
      tables.push({
        title: `Overload: ${o.rate} orders/s (twice the highest holding rate) for ${o.durationMs / 1000} s`,
        head: ["figure", "value", "baseline", "ratio"],
        rows: [
          ["goodput (confirmed within the window)", `${o.goodput}/s`, `peak ${o.peakGoodput}/s`, n(o.goodputRatio, 2)],
          ["answers", Object.entries(o.statuses).map(([k, v]) => `${k === "0" ? "none" : k} x${v}`).join(", "), "", ""],
          ["refusals without Retry-After", `${o.refusedWithoutRetryAfter}`, "0", ""],
          ["saga latency of the accepted", `p50 ${o.saga.latency.p50} ms, p99 ${o.saga.latency.p99} ms`, "", ""],
          ["confirmed after their deadline", `${o.saga.confirmedAfterDeadline}`, "0", ""],
          ["overdue sagas: cancelled after the deadline by", o.saga.deadlineCancelLateness.count ? `p99 ${o.saga.deadlineCancelLateness.p99} ms, max ${o.saga.deadlineCancelLateness.max} ms` : "none overdue", "2000 ms", ""],
          ["invariants afterwards", o.invariants.pass ? "pass" : `FAIL: ${o.invariants.failed.join("; ")}`, "", ""],
        ],
      });
    }
    const names = Object.keys(s.memory.idleMb);
    tables.push({ title: "Memory of the saga stack (RSS, MB)", head: ["service", "before the load (stock set)", "under saga load (peak)", "goal"], rows: names.map((name) => [name, `${s.memory.idleMb[name]}`, `${s.memory.underLoadMb[name] ?? "n/a"}`, "idle <= 150"]) });
    bars.push({ title: "RSS by service, saga stack", unit: "MB", groups: names.map((name) => ({ label: name, bars: [{ label: "before the load", value: s.memory.idleMb[name] ?? 0 }, { label: "under load", value: s.memory.underLoadMb[name] ?? 0 }] })) });
  }
  if (r.memory) {
    const m = r.memory;
    const names = Object.keys(m.bundleMb);
    tables.push({
      title: `Idle memory (RSS, MB; the highest of ${m.rounds} alternating stacks each, read ${m.settleMs / 1000} s after ready)`,
      head: ["service", "bundle (as deployed)", "through tsx (baseline)", "ratio", "goal"],
      rows: names.map((name) => [name, `${m.bundleMb[name]}`, `${m.tsxMb[name]}`, n(m.bundleMb[name]! / m.tsxMb[name]!, 2), "<= 150"]),
    });
    bars.push({ title: "Idle RSS by service", unit: "MB", groups: names.map((name) => ({ label: name, bars: [{ label: "bundle", value: m.bundleMb[name] ?? 0 }, { label: "tsx", value: m.tsxMb[name] ?? 0 }] })) });
  }
  return { tables, bars, lines };
}

function metaLines(r: BenchResults): string[] {
  const m = r.meta;
  return [
    `Run ${m.startedAt} to ${m.finishedAt}, commit ${m.commit}, Node ${m.node}, ${m.cpus} CPUs${m.quick ? ", QUICK (smoke) settings: the numbers mean nothing" : ""}.`,
    `Load average (1/5/15 min) at the start ${m.loadAverage.start.map((v) => v.toFixed(2)).join(" ")}, at the end ${m.loadAverage.end.map((v) => v.toFixed(2)).join(" ")}: on a shared machine every figure is noisy; the ratios (each figure beside its baseline of the same run) are what to read.`,
    `Reproduce: \`${m.command}\``,
    ...Object.entries(m.failed ?? {}).map(([section, error]) => `Section ${section} FAILED, its figures are missing: ${error}`),
  ];
}

export function markdownReport(r: BenchResults): string {
  const { tables } = sections(r);
  const out = ["# meshmart benchmarks", "", ...metaLines(r), ""];
  for (const t of tables) {
    out.push(`## ${t.title}`, "", `| ${t.head.join(" | ")} |`, `| ${t.head.map(() => "---").join(" | ")} |`);
    for (const row of t.rows) out.push(`| ${row.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
    out.push("");
  }
  return out.join("\n");
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const palette = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5"];

function barChart(b: Bars): string {
  const barW = 22;
  const gap = 18;
  const height = 220;
  const max = Math.max(1, ...b.groups.flatMap((g) => g.bars.map((x) => x.value)));
  const groupW = b.groups[0] ? b.groups[0].bars.length * barW + gap : 0;
  const width = 60 + b.groups.length * groupW;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 90}" role="img" aria-label="${esc(b.title)}">`];
  b.groups.forEach((g, gi) => {
    const x0 = 50 + gi * groupW;
    g.bars.forEach((bar, bi) => {
      const h = Math.round((bar.value / max) * height);
      const x = x0 + bi * barW;
      parts.push(`<rect x="${x}" y="${height - h + 10}" width="${barW - 3}" height="${h}" fill="${palette[bi % palette.length]}"><title>${esc(`${g.label} ${bar.label}: ${bar.value} ${b.unit}`)}</title></rect>`);
      parts.push(`<text x="${x + (barW - 3) / 2}" y="${height - h + 6}" font-size="9" text-anchor="middle">${esc(n(bar.value, 0))}</text>`);
    });
    parts.push(`<text x="${x0}" y="${height + 24}" font-size="10" transform="rotate(20 ${x0} ${height + 24})">${esc(g.label)}</text>`);
  });
  parts.push(`<line x1="48" y1="${height + 10}" x2="${width}" y2="${height + 10}" stroke="#333"/>`);
  const legend = b.groups[0]?.bars.map((bar, i) => `<tspan fill="${palette[i % palette.length]}">■ ${esc(bar.label)}</tspan>`).join(" ") ?? "";
  parts.push(`<text x="50" y="${height + 80}" font-size="11">${legend}</text></svg>`);
  return parts.join("");
}

function lineChart(l: Lines): string {
  const w = 520;
  const h = 240;
  const xs = l.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = l.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(l.limit?.y ?? 1, ...ys) * 1.1;
  const px = (x: number) => 50 + (x / xMax) * (w - 70);
  const py = (y: number) => 10 + h - (Math.min(y, yMax) / yMax) * h;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h + 60}" role="img" aria-label="${esc(l.title)}">`];
  parts.push(`<line x1="50" y1="${h + 10}" x2="${w - 20}" y2="${h + 10}" stroke="#333"/><line x1="50" y1="10" x2="50" y2="${h + 10}" stroke="#333"/>`);
  parts.push(`<text x="${w / 2}" y="${h + 45}" font-size="11" text-anchor="middle">${esc(l.xLabel)}</text><text x="8" y="20" font-size="11">${esc(l.yLabel)}</text>`);
  parts.push(`<text x="46" y="14" font-size="9" text-anchor="end">${n(yMax, 0)}</text>`);
  if (l.limit) parts.push(`<line x1="50" y1="${py(l.limit.y)}" x2="${w - 20}" y2="${py(l.limit.y)}" stroke="#c53030" stroke-dasharray="4 3"/><text x="${w - 22}" y="${py(l.limit.y) - 3}" font-size="10" text-anchor="end" fill="#c53030">${esc(l.limit.label)}</text>`);
  l.series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    parts.push(`<polyline fill="none" stroke="${palette[i % palette.length]}" stroke-width="2" points="${pts.map((p) => `${px(p[0])},${py(p[1])}`).join(" ")}"/>`);
    for (const p of pts) parts.push(`<circle cx="${px(p[0])}" cy="${py(p[1])}" r="3" fill="${palette[i % palette.length]}"><title>${esc(`${s.label} at ${p[0]}: ${p[1]}`)}</title></circle><text x="${px(p[0])}" y="${h + 24}" font-size="9" text-anchor="middle">${p[0]}</text>`);
  });
  parts.push(`<text x="60" y="${h + 58}" font-size="11">${l.series.map((s, i) => `<tspan fill="${palette[i % palette.length]}">■ ${esc(s.label)}</tspan>`).join(" ")}</text></svg>`);
  return parts.join("");
}

export function htmlReport(r: BenchResults): string {
  const { tables, bars, lines } = sections(r);
  const table = (t: Table) =>
    `<h2>${esc(t.title)}</h2><table><thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${t.rows
      .map((row) => `<tr>${row.map((c) => `<td${c === "NO" ? ' class="no"' : c === "yes" ? ' class="yes"' : ""}>${esc(c)}</td>`).join("")}</tr>`)
      .join("")}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meshmart benchmarks</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}th{background:#f3f3f3}.no{color:#c53030;font-weight:bold}.yes{color:#2f855a}figure{display:inline-block;margin:0 2em 2em 0;vertical-align:top}figcaption{font-weight:bold;margin-bottom:.3em}</style>
</head><body><h1>meshmart benchmarks</h1>
${metaLines(r).map((l) => `<p>${esc(l)}</p>`).join("\n")}
${[...bars.map((b) => `<figure><figcaption>${esc(b.title)}</figcaption>${barChart(b)}</figure>`), ...lines.map((l) => `<figure><figcaption>${esc(l.title)}</figcaption>${lineChart(l)}</figure>`)].join("\n")}
${tables.map(table).join("\n")}
</body></html>
`;
}
