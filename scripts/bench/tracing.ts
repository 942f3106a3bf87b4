// `make bench-tracing`: what tracing costs on the RPC path. The same unary
// Connect call (a platform client with its CLIENT span -> a service's SERVER
// span -> a handler that answers at once) is made N times sequentially and
// then with concurrency, in three fresh processes: no spans recorded
// (OTEL_TRACES_SAMPLER=always_off), spans recorded but not exported (the
// default without OTEL_EXPORTER_OTLP_ENDPOINT), and spans exported over
// OTLP/HTTP to a real local Jaeger. Prints latency percentiles and calls/s
// per mode (the median of --rounds rounds, the modes taking turns so that
// the machine's other load falls on all of them), and each mode's cost
// beside the first.
//
//   make bench-tracing ARGS="--calls 5000 --concurrency 16"
import { spawn } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { createServiceClient, startService } from "@meshmart/platform";
import { startJaeger } from "@meshmart/infra/jaeger";
import { freePorts } from "@meshmart/infra/processes";

const { values: args } = parseArgs({
  options: {
    calls: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
    child: { type: "string" },
  },
});
const calls = Number(args.calls);
const concurrency = Number(args.concurrency);
const rounds = Number(args.rounds);

interface Result {
  mode: string;
  sequential: { p50: number; p90: number; p99: number; perSecond: number };
  concurrent: { p50: number; p99: number; perSecond: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function measure(mode: string): Promise<Result> {
  const product = { id: "00000000-0000-4000-8000-000000000001", sku: "BENCH-1", name: "bench" };
  const service = await startService(
    { name: "catalog", rpc: (router) => router.service(CatalogService, { getProduct: async () => ({ product }) }) },
    { env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" } },
  );
  const client = createServiceClient(CatalogService, { baseUrl: service.url });
  const call = () => client.getProduct({ id: product.id });
  for (let i = 0; i < 300; i++) await call(); // warm-up: JIT, connections

  const sequential: number[] = [];
  let started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await call();
    sequential.push(performance.now() - t);
  }
  const sequentialSeconds = (performance.now() - started) / 1000;

  const concurrent: number[] = [];
  let next = 0;
  started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        const t = performance.now();
        await call();
        concurrent.push(performance.now() - t);
      }
    }),
  );
  const concurrentSeconds = (performance.now() - started) / 1000;
  await service.stop();
  sequential.sort((a, b) => a - b);
  concurrent.sort((a, b) => a - b);
  return {
    mode,
    sequential: { p50: percentile(sequential, 50), p90: percentile(sequential, 90), p99: percentile(sequential, 99), perSecond: calls / sequentialSeconds },
    concurrent: { p50: percentile(concurrent, 50), p99: percentile(concurrent, 99), perSecond: calls / concurrentSeconds },
  };
}

if (args.child) {
  process.stdout.write(`${JSON.stringify(await measure(args.child))}\n`);
  process.exit(0);
}

const [base] = (await freePorts(5, 27250, 27300)) as [number];
const jaeger = await startJaeger({
  profile: "bench",
  ports: { query: base, queryGrpc: base + 1, otlpGrpc: base + 2, otlpHttp: base + 3, health: base + 4 },
  log: (line) => console.log(`  ${line}`),
});

const modes: Array<{ mode: string; env: Record<string, string> }> = [
  { mode: "no spans (OTEL_TRACES_SAMPLER=always_off)", env: { OTEL_TRACES_SAMPLER: "always_off" } },
  { mode: "spans, export off (default)", env: {} },
  { mode: "spans exported to Jaeger (OTLP/HTTP)", env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpEndpoint } },
];
console.log(`tracing on the RPC path: ${calls} unary Connect calls sequentially, then ${calls} with ${concurrency} in flight, per mode (one fresh process each, medians of ${rounds} rounds)\n`);
const runs = new Map<string, Result[]>();
try {
  for (let round = 0; round < rounds; round++) for (const { mode, env } of modes) {
    const { OTEL_EXPORTER_OTLP_ENDPOINT: _unset, OTEL_TRACES_SAMPLER: _unset2, ...inherited } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", import.meta.filename, "--child", mode, "--calls", String(calls), "--concurrency", String(concurrency)], {
      env: { ...inherited, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    const [code] = (await once(child, "exit")) as [number | null];
    if (code !== 0) throw new Error(`${mode}: the measuring process exited ${code}`);
    runs.set(mode, [...(runs.get(mode) ?? []), JSON.parse(out.trim().split("\n").at(-1)!) as Result]);
  }
} finally {
  await jaeger.stop();
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const results: Result[] = modes.map(({ mode }) => {
  const of = runs.get(mode)!;
  const pick = <K extends "sequential" | "concurrent">(part: K, key: keyof Result[K]) => median(of.map((r) => r[part][key] as number));
  return {
    mode,
    sequential: { p50: pick("sequential", "p50"), p90: pick("sequential", "p90"), p99: pick("sequential", "p99"), perSecond: pick("sequential", "perSecond") },
    concurrent: { p50: pick("concurrent", "p50"), p99: pick("concurrent", "p99"), perSecond: pick("concurrent", "perSecond") },
  };
});

const ms = (n: number) => `${n.toFixed(3)} ms`.padStart(10);
const first = results[0]!;
console.log(`${"mode".padEnd(44)} ${"seq p50".padStart(10)} ${"seq p90".padStart(10)} ${"seq p99".padStart(10)} ${"seq /s".padStart(8)} ${"conc p50".padStart(10)} ${"conc p99".padStart(10)} ${"conc /s".padStart(8)}`);
for (const r of results) {
  console.log(
    `${r.mode.padEnd(44)} ${ms(r.sequential.p50)} ${ms(r.sequential.p90)} ${ms(r.sequential.p99)} ${r.sequential.perSecond.toFixed(0).padStart(8)} ${ms(r.concurrent.p50)} ${ms(r.concurrent.p99)} ${r.concurrent.perSecond.toFixed(0).padStart(8)}`,
  );
}
console.log("\ncost beside no spans:");
for (const r of results.slice(1)) {
  const signed = (n: number, digits = 3) => `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`;
  const pct = (a: number, b: number) => `${signed(((a - b) / b) * 100, 1)} %`;
  console.log(
    `  ${r.mode}: sequential p50 ${signed(r.sequential.p50 - first.sequential.p50)} ms (${pct(r.sequential.p50, first.sequential.p50)}), ` +
      `throughput ${pct(r.sequential.perSecond, first.sequential.perSecond)} sequential, ${pct(r.concurrent.perSecond, first.concurrent.perSecond)} with ${concurrency} in flight`,
  );
}
console.log("\n(On a small machine the exporting mode also shares the cores with Jaeger itself. Numbers measured while other work runs are noisy: compare the modes of one run.)");
