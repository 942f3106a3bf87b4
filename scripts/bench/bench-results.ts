// What `make bench` writes to .local/bench/results.json, and the goals of
// issue 11 judged from it (a benchmark never fails on them: it reports).
import type { EventsResults } from "./events-bench.ts";
import type { KafkaClientResults } from "./kafka-clients-bench.ts";
import type { KafkaResumeResult } from "./kafka-resume-bench.ts";
import type { MemoryResults } from "./memory-bench.ts";
import type { RpcResults } from "./rpc-bench.ts";
import type { SagaResults } from "./saga-bench.ts";

export interface BenchMeta {
  startedAt: string;
  finishedAt: string;
  /** 1-minute load average at the start and the end: the machine may be shared. */
  loadAverage: { start: number[]; end: number[] };
  cpus: number;
  node: string;
  commit: string;
  quick: boolean;
  command: string;
  /** Sections that stopped with an error (their figures are missing): section -> the error. */
  failed?: Record<string, string>;
}

export interface Goal {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

export interface BenchResults {
  meta: BenchMeta;
  rpc?: RpcResults;
  events?: EventsResults;
  /** The event pipeline through each Kafka client, side by side (no goal: a comparison). */
  kafkaClients?: KafkaClientResults[];
  /** Each Kafka client's time to resume after its consumer is killed (no goal: a comparison). */
  kafkaResume?: KafkaResumeResult[];
  sagas?: SagaResults;
  /** Idle RSS per service, as deployed (bundle) beside through tsx. */
  memory?: MemoryResults;
  goals: Goal[];
}

const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? String(Math.round(v * 10 ** digits) / 10 ** digits) : "n/a");

export function judgeGoals(r: Omit<BenchResults, "goals">): Goal[] {
  const goals: Goal[] = [];
  const goal = (name: string, target: string, value: string, met: boolean | null) => goals.push({ name, target, value, met });
  if (r.sagas) {
    const s = r.sagas;
    const at20 = s.steps.find((step) => step.rate === 20);
    const l = at20?.saga.confirmedLatency;
    goal("saga latency at 20 orders/s (accepted -> CONFIRMED)", "p50 <= 150 ms, p99 <= 500 ms", l ? `p50 ${l.p50} ms, p99 ${l.p99} ms` : "no 20/s step", l ? l.p50 <= 150 && l.p99 <= 500 : null);
    goal("highest saga rate with p99 <= 1 s", `>= half the commit-bound limit (${fmt(s.commitBoundLimit / 2, 0)}/s)`, `${s.highestHoldingRate}/s (limit ${s.commitBoundLimit}/s = ${s.rawCommitsPerSecond} commits/s / ${s.commitsPerOrder} per order)`, Number.isFinite(s.commitBoundLimit) ? s.highestHoldingRate >= s.commitBoundLimit / 2 : null);
    const o = s.overload;
    if (o) {
      const bad = Object.entries(o.statuses).filter(([status]) => !["200", "201", "503", "429"].includes(status));
      goal("overload (2x): goodput", ">= 0.9 of the peak", `${o.goodput}/s = ${fmt(o.goodputRatio)} of ${o.peakGoodput}/s`, Number.isFinite(o.goodputRatio) ? o.goodputRatio >= 0.9 : null);
      goal("overload: every answer a success or 503/429 with Retry-After", "none else", `${o.refused} refused, ${o.refusedWithoutRetryAfter} without Retry-After; other answers: ${bad.map(([k, n]) => `${k === "0" ? "none" : k} x${n}`).join(", ") || "none"}`, o.refusedWithoutRetryAfter === 0 && bad.length === 0);
      goal("overload: no saga confirmed after its deadline", "0", String(o.saga.confirmedAfterDeadline), o.saga.confirmedAfterDeadline === 0);
      const late = o.saga.deadlineCancelLateness;
      goal("overload: overdue sagas cancelled within 2 s of their deadline", "max <= 2000 ms", late.count > 0 ? `max ${late.max} ms (n=${late.count})` : "none overdue", late.count === 0 || late.max <= 2000);
      goal("overload: the seven invariants afterwards", "pass", o.invariants.pass ? "pass" : `FAIL: ${o.invariants.failed.join("; ")}`, o.invariants.pass);
    }
    // Judged on the memory section's idle stacks when it ran; else on the saga stack before its load.
    if (!r.memory) {
      const idle = Object.entries(s.memory.idleMb);
      goal("idle RSS of every service (the saga stack, before its load)", "<= 150 MB", idle.map(([n, mb]) => `${n} ${mb}`).join(", "), idle.every(([, mb]) => mb <= 150));
    }
  }
  if (r.memory) {
    const idle = Object.entries(r.memory.bundleMb);
    goal(
      "idle RSS of every service (bundle, as deployed; through tsx beside)",
      "<= 150 MB",
      idle.map(([n, mb]) => `${n} ${mb} (tsx ${r.memory!.tsxMb[n]})`).join(", "),
      idle.every(([, mb]) => mb <= 150),
    );
  }
  if (r.events) {
    const e = r.events;
    goal("events end to end vs raw kafkajs producer", ">= 0.3", `${e.endToEndPerSecond}/s = ${e.ratioToRawKafka} of ${e.rawKafkaProducerPerSecond}/s`, e.ratioToRawKafka >= 0.3);
    goal(`commit -> consume p99 at ${e.latencyRate}/s (half the maximum)`, "<= 50 ms", `${e.latency.p99} ms`, e.latency.p99 <= 50);
  }
  if (r.rpc) {
    for (const protocol of ["connect-json", "connect-binary", "grpc"] as const) {
      const cell = (server: string) => r.rpc!.cells.find((c) => c.call === "no-db" && c.protocol === protocol && c.server === server);
      const platform = cell("platform");
      const bare = cell("connect");
      if (platform && bare) goal(`RPC no-db, ${protocol}: platform vs bare connect-node`, ">= 0.9", `${fmt(platform.rps / bare.rps)} (${platform.rps} vs ${bare.rps} req/s; CPU ${platform.cpuMsPerRequest} vs ${bare.cpuMsPerRequest} ms/req)`, platform.rps / bare.rps >= 0.9);
    }
  }
  return goals;
}
