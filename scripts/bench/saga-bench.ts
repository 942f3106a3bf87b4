// The saga benchmark: every service as a real process (fresh databases, topics
// of its own), orders placed through the gateway by the open-loop generator at
// rising rates until p99 saga completion (PlaceOrder accepted -> CONFIRMED or
// CANCELLED) passes 1 s; the highest rate that holds; beside the commit-bound
// limit: the raw PostgreSQL commit rate of the same server divided by the
// commits one order costs (counted from pg_stat_database's xact_commit over
// the services' databases, the idle rate subtracted). Then twice the highest
// holding rate (overload): goodput against the peak, every refusal's
// Retry-After, late confirmations, how late overdue sagas were cancelled, and
// the seven invariants afterwards. And the services' resident memory, idle and
// under load.
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { demoProducts } from "@meshmart/fixtures";
import type { LatencySummary } from "@meshmart/e2e/load/latency-histogram";
import { runOrderLoad, type OrderLoadRun } from "@meshmart/e2e/load/order-load";
import type { SagaSummary } from "@meshmart/e2e/load/saga-timings";
import { rssMb } from "./memory-bench.ts";
import { createSystemClients } from "@meshmart/e2e/system-clients";
import { startTestStack, type TestStack } from "@meshmart/e2e/test-stack";
import { serviceNames } from "@meshmart/topology";
import { rawPostgresCommitRate } from "./events-bench.ts";

export interface SagaBenchOptions {
  adminUrl: string;
  brokers: string[];
  portBase: number;
  rates: number[];
  stepMs: number;
  /** Load at the first rate before the ladder, not recorded: JIT, pools, caches and consumer fetches warm. */
  warmupMs: number;
  overloadMs: number;
  /** p99 saga latency a rate must keep to hold, ms. */
  p99LimitMs: number;
  log: (line: string) => void;
}

export interface SagaStepResult {
  rate: number;
  durationMs: number;
  sent: number;
  accepted: number;
  refused: number;
  errors: number;
  statuses: Record<string, number>;
  refusedWithoutRetryAfter: number;
  placeLatency: LatencySummary;
  saga: Omit<SagaSummary, "histogram">;
  /** Confirmed orders whose decision fell inside the load window, per second of it. */
  goodput: number;
  commitsPerOrder: number;
  holds: boolean;
  /** Peak RSS per service during the step, MB. */
  rssMb: Record<string, number>;
}

export interface SagaResults {
  rawCommitsPerSecond: number;
  idleCommitsPerSecond: number;
  commitsPerOrder: number;
  commitBoundLimit: number;
  steps: SagaStepResult[];
  highestHoldingRate: number;
  overload?: SagaStepResult & { peakGoodput: number; goodputRatio: number; invariants: { pass: boolean; failed: string[] } };
  memory: { idleMb: Record<string, number>; underLoadMb: Record<string, number> };
}

function memory(stack: TestStack): Record<string, number> {
  return Object.fromEntries(serviceNames.map((name) => [name, rssMb(stack.processes.pid(name))]));
}

async function commits(admin: pg.Pool, databases: string[]): Promise<number> {
  const { rows } = await admin.query<{ n: string }>("SELECT coalesce(sum(xact_commit), 0) AS n FROM pg_stat_database WHERE datname = ANY($1)", [databases]);
  return Number(rows[0]!.n);
}

export async function runSagaBench(options: SagaBenchOptions): Promise<SagaResults> {
  const { log } = options;
  process.env.MESHMART_TEST_PG_URL ??= options.adminUrl;
  log("  raw PostgreSQL commit rate (16 writers, single-row transactions)...");
  const rawCommitsPerSecond = Math.round(await rawPostgresCommitRate(options.adminUrl, 4_000, 16));
  log(`  raw PostgreSQL: ${rawCommitsPerSecond} commits/s`);

  log(`  starting the services (gateway on ${options.portBase})...`);
  const stack = await startTestStack({
    brokers: options.brokers,
    portBase: options.portBase,
    // As deployed: info logs, the default outbox poll (250 ms; the test stack sets its own); payments approves every payment; no per-customer limit in the way.
    env: { LOG_LEVEL: "info", OUTBOX_POLL_MS: "250", PAYMENT_DECLINE_RATE: "0", RATE_LIMIT_RPS: "100000", RATE_LIMIT_BURST: "100000" },
  });
  const admin = new pg.Pool({ connectionString: options.adminUrl, max: 2 });
  try {
    const urlEnv = Object.fromEntries(serviceNames.map((name) => [`${name.toUpperCase()}_URL`, stack.processes.urls[name]]));
    const clients = createSystemClients(urlEnv);
    for (const product of demoProducts) await clients.inventory.setStock({ productId: product.id, available: 100_000_000n });
    const mine = stack.databaseNames;
    await sleep(3_000);
    const idleMb = memory(stack);
    const idleStart = await commits(admin, mine);
    const idleAt = Date.now();
    await sleep(5_000);
    const idleCommitsPerSecond = ((await commits(admin, mine)) - idleStart) / ((Date.now() - idleAt) / 1000);
    log(`  idle: ${idleCommitsPerSecond.toFixed(1)} commits/s in the services' databases; RSS ${JSON.stringify(idleMb)} MB`);

    const gatewayUrl = stack.processes.urls.gateway;
    const runStep = async (rate: number, durationMs: number, warmUp = false): Promise<{ step: SagaStepResult; run: OrderLoadRun }> => {
      const peak: Record<string, number> = {};
      const sampler = setInterval(() => {
        for (const [name, mb] of Object.entries(memory(stack))) peak[name] = Math.max(peak[name] ?? 0, mb);
      }, 500);
      const before = await commits(admin, mine);
      const at = Date.now();
      let run: OrderLoadRun;
      try {
        run = await runOrderLoad({ gatewayUrl, rate, durationMs, tokenFor: (id) => devTokenFor(id), orders: clients.orders, sagaTimeoutMs: 60_000, requestTimeoutMs: 30_000 });
      } finally {
        clearInterval(sampler);
      }
      await sleep(1_500); // pg_stat_database is flushed about once a second
      const spent = (await commits(admin, mine)) - before - idleCommitsPerSecond * ((Date.now() - at) / 1000);
      const accepted = run.summary.ok;
      const inWindow = (run.sagaTimings ?? []).filter((t) => t.status === "CONFIRMED" && t.decidedAt !== undefined && t.decidedAt >= run.startedAt && t.decidedAt <= run.endedAt).length;
      const { histogram: _h, ...saga } = run.saga!;
      const step: SagaStepResult = {
        rate,
        durationMs,
        sent: run.summary.sent,
        accepted,
        refused: run.summary.refused,
        errors: run.summary.errors,
        statuses: run.summary.statuses,
        refusedWithoutRetryAfter: run.summary.refusedWithoutRetryAfter,
        placeLatency: run.summary.latency.all,
        saga,
        goodput: Math.round((inWindow / (durationMs / 1000)) * 10) / 10,
        commitsPerOrder: accepted > 0 ? Math.round((spent / accepted) * 10) / 10 : Number.NaN,
        holds: saga.pending === 0 && saga.missing === 0 && saga.latency.p99 <= options.p99LimitMs && accepted >= 0.99 * run.summary.sent,
        rssMb: peak,
      };
      log(
        `  ${String(rate).padStart(4)}/s: accepted ${accepted}/${step.sent} (refused ${step.refused}, errors ${step.errors}); saga p50 ${saga.latency.p50} ms p99 ${saga.latency.p99} ms; ` +
          `goodput ${step.goodput} confirmed/s; ${step.commitsPerOrder} commits/order; ${warmUp ? "warm-up, not judged" : step.holds ? "holds" : "does NOT hold"}`,
      );
      return { step, run };
    };

    if (options.warmupMs > 0) {
      log(`  warm-up: ${options.rates[0]}/s for ${options.warmupMs / 1000} s (not recorded)...`);
      await runStep(options.rates[0]!, options.warmupMs, true);
      await sleep(2_000);
    }
    const steps: SagaStepResult[] = [];
    for (const rate of options.rates) {
      const { step } = await runStep(rate, options.stepMs);
      steps.push(step);
      if (!step.holds) break;
      await sleep(2_000);
    }
    const holding = steps.filter((s) => s.holds);
    const highestHoldingRate = holding.length > 0 ? Math.max(...holding.map((s) => s.rate)) : 0;
    const measured = steps.filter((s) => Number.isFinite(s.commitsPerOrder) && s.accepted > 0);
    const commitsPerOrder = measured.length > 0 ? Math.round((measured.reduce((a, s) => a + s.commitsPerOrder * s.accepted, 0) / measured.reduce((a, s) => a + s.accepted, 0)) * 10) / 10 : Number.NaN;
    const underLoadMb: Record<string, number> = {};
    for (const s of steps) for (const [name, mb] of Object.entries(s.rssMb)) underLoadMb[name] = Math.max(underLoadMb[name] ?? 0, mb);

    let overload: SagaResults["overload"];
    if (options.overloadMs > 0) {
      const rate = 2 * (highestHoldingRate || options.rates[0]!);
      log(`  overload: ${rate}/s (twice the highest holding rate) for ${options.overloadMs / 1000} s...`);
      const { step, run } = await runStep(rate, options.overloadMs);
      const peakGoodput = Math.max(0, ...holding.map((s) => s.goodput));
      for (const [name, mb] of Object.entries(step.rssMb)) underLoadMb[name] = Math.max(underLoadMb[name] ?? 0, mb);
      const verdict = await stack.verify(run.accepted, () => {});
      overload = {
        ...step,
        peakGoodput,
        goodputRatio: peakGoodput > 0 ? Math.round((step.goodput / peakGoodput) * 100) / 100 : Number.NaN,
        invariants: { pass: verdict.pass, failed: verdict.results.filter((r) => !r.pass).map((r) => r.name) },
      };
      log(
        `  overload: goodput ${step.goodput} confirmed/s = ${overload.goodputRatio} of the peak ${peakGoodput}; refused ${step.refused} (${step.refusedWithoutRetryAfter} without Retry-After); ` +
          `statuses ${JSON.stringify(step.statuses)}; confirmed after deadline ${step.saga.confirmedAfterDeadline}; deadline cancels late by p99 ${step.saga.deadlineCancelLateness.p99} ms; invariants ${verdict.pass ? "PASS" : "FAIL"}`,
      );
    }
    return {
      rawCommitsPerSecond,
      idleCommitsPerSecond: Math.round(idleCommitsPerSecond * 10) / 10,
      commitsPerOrder,
      commitBoundLimit: Number.isFinite(commitsPerOrder) ? Math.round(rawCommitsPerSecond / commitsPerOrder) : Number.NaN,
      steps,
      highestHoldingRate,
      ...(overload ? { overload } : {}),
      memory: { idleMb, underLoadMb },
    };
  } finally {
    await admin.end();
    await stack.stop();
  }
}
