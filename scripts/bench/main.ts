// `make bench`: every benchmark in one go, on PostgreSQL and Kafka of profile
// bench (or DATABASE_URL / KAFKA_BROKERS): RPC (rpc-bench.ts), events
// (events-bench.ts), the event pipeline through each Kafka client
// (kafka-clients-bench.ts), each client's time to resume after its consumer is
// killed (kafka-resume-bench.ts), idle memory as deployed beside through tsx
// (memory-bench.ts), sagas with overload and memory under load (saga-bench.ts). Writes
// .local/bench/results.json, report.md and report.html, every figure beside
// its baseline from the same run. Prints numbers; never fails on them.
//
//   make bench
//   make bench ARGS="--sections rpc,events"         # a part
//   make bench ARGS="--quick"                       # seconds, for the smoke test: numbers mean nothing
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseDuration } from "@meshmart/e2e/load/duration";
import { startKafka } from "@meshmart/infra/kafka";
import { repoRoot } from "@meshmart/infra/paths";
import { startPostgres } from "@meshmart/infra/postgres";
import { createTestDatabase } from "@meshmart/platform/test-support";
import { htmlReport, markdownReport } from "./bench-report.ts";
import { judgeGoals, type BenchResults } from "./bench-results.ts";
import { runEventsBench } from "./events-bench.ts";
import { runKafkaClientsBench } from "./kafka-clients-bench.ts";
import { runKafkaResumeBench } from "./kafka-resume-bench.ts";
import { runRpcBench, type Call, type Protocol } from "./rpc-bench.ts";
import { runMemoryBench } from "./memory-bench.ts";
import { runSagaBench } from "./saga-bench.ts";

const { values } = parseArgs({
  options: {
    sections: { type: "string", default: "rpc,events,kafka-clients,kafka-resume,memory,sagas" },
    quick: { type: "boolean", default: false },
    out: { type: "string", default: path.join(repoRoot, ".local", "bench") },
    "rpc-duration": { type: "string" },
    concurrency: { type: "string", default: "16" },
    events: { type: "string" },
    rates: { type: "string" },
    step: { type: "string" },
    warmup: { type: "string" },
    overload: { type: "string" },
    "port-base": { type: "string" },
    "rpc-calls": { type: "string" },
    "rpc-protocols": { type: "string" },
  },
});
const quick = values.quick;
const sections = new Set(values.sections.split(",").map((s) => s.trim()));
const unknown = [...sections].filter((s) => !["rpc", "events", "kafka-clients", "kafka-resume", "memory", "sagas"].includes(s));
if (unknown.length > 0) {
  console.error(`bench: unknown section(s) ${unknown.join(", ")} (rpc, events, kafka-clients, kafka-resume, memory, sagas)`);
  process.exit(2);
}
const log = (line: string) => console.log(line);
const startedAt = new Date();
const loadStart = os.loadavg();
const commit = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
})();

log(`bench: ${[...sections].join(", ")}${quick ? " (quick)" : ""}; load average ${loadStart.map((v) => v.toFixed(2)).join(" ")}`);
log("starting PostgreSQL and Kafka (profile bench)...");
const [postgres, kafka] = await Promise.all([startPostgres({ profile: "bench", log: () => {} }), startKafka({ profile: "bench", log: () => {} })]);
process.env.MESHMART_TEST_PG_URL = postgres.adminUrl;
const results: Omit<BenchResults, "goals"> & { goals?: BenchResults["goals"] } = {
  meta: { startedAt: startedAt.toISOString(), finishedAt: "", loadAverage: { start: loadStart, end: [] }, cpus: os.cpus().length, node: process.version, commit, quick, command: `make bench${process.argv.length > 2 ? ` ARGS="${process.argv.slice(2).join(" ")}"` : ""}` },
};
// A section that stops with an error is recorded and the others still run: a crash loses nothing measured.
const section = async (name: string, run: () => Promise<void>) => {
  if (!sections.has(name)) return;
  try {
    await run();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`  ${name} FAILED: ${message}`);
    (results.meta.failed ??= {})[name] = message;
  }
};
try {
  await section("rpc", async () => {
    log("\nRPC: no-database call and GetProduct; platform vs bare connect-node vs raw node:http/http2");
    results.rpc = await runRpcBench({
      databaseUrl: await createTestDatabase("bench_rpc"),
      brokers: kafka.brokers,
      durationMs: parseDuration(values["rpc-duration"] ?? (quick ? "300ms" : "3s")),
      concurrency: Number(values.concurrency),
      log,
      ...(values["rpc-calls"] ? { calls: values["rpc-calls"].split(",") as Call[] } : {}),
      ...(values["rpc-protocols"] ? { protocols: values["rpc-protocols"].split(",") as Protocol[] } : {}),
    });
  });
  await section("events", async () => {
    log("\nEvents: outbox -> relay -> Kafka -> consumer, vs raw kafkajs and raw PostgreSQL");
    results.events = await runEventsBench({ adminUrl: postgres.adminUrl, brokers: kafka.brokers, events: Number(values.events ?? (quick ? 300 : 5000)), concurrency: Number(values.concurrency), rate: 0, seconds: quick ? 1 : 10, log });
  });
  await section("kafka-clients", async () => {
    log("\nKafka clients: the same event pipeline through kafkajs and through @platformatic/kafka (KAFKA_CLIENT), same broker");
    results.kafkaClients = await runKafkaClientsBench({ adminUrl: postgres.adminUrl, brokers: kafka.brokers, events: Number(values.events ?? (quick ? 300 : 3000)), concurrency: Number(values.concurrency), rate: 0, seconds: quick ? 1 : 10, log });
  });
  await section("kafka-resume", async () => {
    log("\nKafka clients: time to resume after the consumer is killed with -9 (and after a graceful stop), events flowing");
    results.kafkaResume = await runKafkaResumeBench({ adminUrl: postgres.adminUrl, brokers: kafka.brokers, rate: quick ? 20 : 50, log });
  });
  await section("memory", async () => {
    log("\nMemory: idle RSS of every service, its bundle (as deployed) beside tsx on its TypeScript, alternating stacks");
    results.memory = await runMemoryBench({ brokers: kafka.brokers, portBase: Number(values["port-base"] ?? 23_000 + Math.floor(Math.random() * 400) * 10), rounds: quick ? 1 : 2, settleMs: quick ? 1_000 : 5_000, log });
  });
  await section("sagas", async () => {
    log("\nSagas: open-loop orders through the gateway at rising rates, then twice the highest that holds");
    results.sagas = await runSagaBench({
      adminUrl: postgres.adminUrl,
      brokers: kafka.brokers,
      portBase: Number(values["port-base"] ?? 23_000 + Math.floor(Math.random() * 400) * 10),
      // Steps of 10/s up to 60: the highest holding rate to within 10/s where this machine's lies.
      rates: (values.rates ?? (quick ? "10" : "10,20,30,40,50,60,80,100,120,150,200,250,300")).split(",").map(Number),
      stepMs: parseDuration(values.step ?? (quick ? "2s" : "20s")),
      warmupMs: parseDuration(values.warmup ?? (quick ? "0s" : "10s")),
      overloadMs: parseDuration(values.overload ?? (quick ? "2s" : "60s")),
      p99LimitMs: 1_000,
      log,
    });
  });
} finally {
  await Promise.allSettled([kafka.stop(), postgres.stop()]);
}
results.meta.finishedAt = new Date().toISOString();
results.meta.loadAverage.end = os.loadavg();
const final: BenchResults = { ...results, goals: judgeGoals(results) };
await mkdir(values.out, { recursive: true });
await writeFile(path.join(values.out, "results.json"), `${JSON.stringify(final, null, 1)}\n`);
await writeFile(path.join(values.out, "report.md"), markdownReport(final));
await writeFile(path.join(values.out, "report.html"), htmlReport(final));
log("\ngoals:");
for (const g of final.goals) log(`  ${g.met === null ? "n/a" : g.met ? "met" : "NOT met"}  ${g.name}: ${g.value} (target ${g.target})`);
log(`\nload average at the end ${final.meta.loadAverage.end.map((v) => v.toFixed(2)).join(" ")}`);
log(`wrote ${path.join(values.out, "results.json")}, report.md and report.html`);
if (results.meta.failed) process.exitCode = 1; // a section crashed (never for a number)
