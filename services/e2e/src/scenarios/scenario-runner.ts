// One scenario, start to verdict, the same on every target:
//   session -> steady state before (healthy, at rest) -> load + gauges ->
//   warm-up -> inject + confirm -> hold -> heal -> cool-down -> stop load ->
//   rest within the bound + seven invariants -> evidence after rest ->
//   the hypothesis's client checks + effect confirmation -> verdict.
// Each step prints one line and goes into the run's journal. A fault that
// cannot be confirmed is still healed and the system still checked: the
// verdict is then NOT-INJECTED (or FAIL when something broke anyway), never a
// pass. A system not in its steady state before the fault gets no fault.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { InvariantResult } from "../invariants.ts";
import { GatewayShopper } from "../gateway-shopper.ts";
import type { Fault } from "./fault.ts";
import { History } from "./history.ts";
import { hypothesisChecks } from "./hypothesis.ts";
import type { EntryKind, Journal, ScenarioRecord } from "./journal.ts";
import { startSampler } from "./metrics-sampler.ts";
import { startOrderLoad } from "./order-load.ts";
import { defaultLoad, type ScenarioDefinition } from "./scenario-definitions.ts";
import type { LoadDriver, RunningLoad } from "./scenario-load.ts";
import type { Injected, Session, Target } from "./target.ts";
import { decideVerdict, type Confirmation, type ScenarioOutcome, type ScenarioVerdict } from "./verdict.ts";

export interface ScenarioResult {
  scenario: string;
  target: string;
  /** undefined for a dry run. */
  verdict?: ScenarioVerdict;
  seconds: number;
  accepted: number;
  record?: ScenarioRecord;
}

export interface RunOptions {
  journal: Journal;
  print?: (line: string) => void;
  /** The load driver (default: order-load.ts). */
  load?: LoadDriver;
  customers?: number;
}

/** The fault a scenario makes on a target. */
export function faultFor(scenario: ScenarioDefinition, target: string): Fault {
  return target === "kind" && scenario.kindFault ? scenario.kindFault : scenario.fault;
}

export async function runScenario(scenario: ScenarioDefinition, target: Target, options: RunOptions): Promise<ScenarioResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const { journal } = options;
  const started = Date.now();
  const startedAt = new Date().toISOString();
  const log = (kind: EntryKind, line: string) => {
    print(`[${scenario.name} +${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
    journal.entry(kind, line, scenario.name);
  };
  const step = (line: string) => log("step", line);
  const wait = async (ms: number, why: string) => {
    step(`${target.dryRun ? "would wait" : "waiting"} ${(ms / 1000).toFixed(0)} s (${why})`);
    if (!target.dryRun) await sleep(ms);
  };
  /** One line per confirmation; in a dry run the answers come from a simulation and say so. */
  const report = (kind: EntryKind, what: string, c: Confirmation) =>
    log(kind, target.dryRun ? `${what} (simulated answer): ${c.evidence}` : `${what} ${c.confirmed ? "CONFIRMED" : "NOT CONFIRMED"}: ${c.evidence}`);
  const how = scenario.how[target.name] ?? `(no such fault on ${target.name}: ${scenario.notOn?.[target.name] ?? "not made here"})`;
  const fault = faultFor(scenario, target.name);
  const history = new History(scenario.name, target.name);
  const outcome: ScenarioOutcome = { injection: [], clientChecks: [] };
  const checks: InvariantResult[] = [];
  const shape = { ...defaultLoad, ...scenario.load };
  let session: Session | undefined;
  let load: RunningLoad | undefined;
  let injected: Injected | undefined;
  let observed: Confirmation | undefined;
  let restMs: number | undefined;
  let sampler: ReturnType<typeof startSampler> | undefined;

  const stopLoad = async () => {
    if (!load) return;
    const running = load;
    load = undefined;
    await running.stop();
    history.mark("load-stopped");
    step(`load stopped: ${history.placements().length} PlaceOrder attempts, ${history.accepted().length} accepted (${history.summary()})`);
  };

  step(`scenario ${scenario.name} on ${target.name}${target.dryRun ? " (dry run)" : ""}: ${scenario.summary}`);
  try {
    if (!scenario.how[target.name]) step(`this scenario has no fault on ${target.name}: ${scenario.notOn?.[target.name] ?? "not made here"}`);
    session = await target.session(scenario, step, journal.dir);
    const before = await session.steadyState();
    report("probe", "steady state before the fault (healthy, at rest)", before);
    const steady: InvariantResult = {
      name: "steady state before the fault: every service healthy, the system at rest",
      pass: before.confirmed,
      offenders: before.confirmed ? [] : [before.evidence],
      summary: before.evidence,
    };
    checks.push(steady);
    if (target.dryRun) {
      step(`would list products (GET ${session.gatewayUrl}/api/v1/products) and place ${shape.ratePerSecond} orders/s (${shape.mode}) through POST ${session.gatewayUrl}/api/v1/orders, recording each in the history; read the gauges every second`);
    } else if (before.confirmed) {
      const s = session;
      if (s.sample) sampler = startSampler(async () => ({ ...(await s.sample!()), at: history.now() }));
      const customers = Array.from({ length: options.customers ?? 4 }, () => randomUUID());
      const shoppers = await Promise.all(customers.map(async (customerId) => ({ customerId, token: await s.token(customerId) })));
      const products = await new GatewayShopper(s.gatewayUrl, shoppers[0]!.token).listProductIds();
      step(`load: ${shape.ratePerSecond} orders/s (${shape.mode}) from ${shoppers.length} customers through ${s.gatewayUrl} over ${products.length} products`);
      load = (options.load ?? startOrderLoad)({ gatewayUrl: s.gatewayUrl, shoppers, products, history, shape });
    }
    if (!before.confirmed && !target.dryRun) throw new Error(`the system was not in its steady state before the fault (${before.evidence}): no fault injected`);
    await wait(scenario.warmupMs, "load before the fault");

    log("fault", `inject: ${how}`);
    history.mark("fault-injected");
    injected = await session.inject(fault, { history, holdMs: scenario.holdMs, token: (c) => session!.token(c) });
    outcome.injection.push(injected.applied);
    report("fault", "fault", injected.applied);
    if (injected.applied.confirmed) await wait(scenario.holdMs, "fault in place, load running");
    if (injected.observe && injected.applied.confirmed) {
      observed = await injected.observe();
      report("probe", "fault observed", observed);
      if (!scenario.effect) outcome.injection.push(observed); // else the effect check weighs it
    }
    log("heal", "heal");
    const healing = injected;
    injected = undefined;
    const healed = await healing.heal();
    history.mark("fault-healed");
    report("heal", "healed", healed);
    if (!healed.confirmed) outcome.error = `the fault was not healed: ${healed.evidence}`;
    await wait(scenario.cooldownMs, "load after the heal");
    await stopLoad();

    step(`${target.dryRun ? "would wait" : "waiting"} for rest (at most ${scenario.hypothesis.restWithinMs / 1000} s), then check the seven invariants over the accepted orders`);
    if (target.dryRun) {
      await session.verify([], step, scenario.hypothesis.restWithinMs); // prints what it would read
      if (scenario.effect) step(`would confirm the fault's effect${scenario.effect.needsOutcomes ? " from the orders' outcomes (orders Audit RPC)" : " from the history"}`);
    } else {
      const verifyStarted = Date.now();
      const checked = await session.verify(history.accepted(), (line) => step(`  ${line}`), scenario.hypothesis.restWithinMs);
      restMs = Date.now() - verifyStarted;
      outcome.checks = { rest: checked.rest, results: checked.results };
      checks.push(
        { name: `rest: at rest within ${scenario.hypothesis.restWithinMs / 1000} s after the load`, pass: checked.rest, offenders: checked.rest ? [] : ["not at rest (outbox backlog, consumer lag or sagas pending)", ...(checked.restDetail ?? [])], summary: `checked ${(restMs / 1000).toFixed(1)} s after the load` },
        ...checked.results,
      );
      if (healing.afterRest) {
        const evidence = await healing.afterRest();
        outcome.injection.push(evidence);
        report("probe", "after rest", evidence);
      }
      outcome.clientChecks = [steady, ...hypothesisChecks(history, scenario.hypothesis)];
      for (const check of outcome.clientChecks.slice(1)) {
        log("check", `  ${check.pass ? "PASS" : "FAIL"}  ${check.name}  (${check.summary})`);
        for (const offender of check.offenders.slice(0, 10)) step(`          ${offender}`);
      }
      checks.push(...outcome.clientChecks.slice(1));
      if (scenario.effect) {
        const outcomes = scenario.effect.needsOutcomes ? await session.orderOutcomes() : undefined;
        const effect = scenario.effect.confirm({ history, ...(outcomes ? { outcomes } : {}), ...(observed ? { observed } : {}) });
        outcome.injection.push(effect);
        report("probe", "effect", effect);
      }
    }
  } catch (err) {
    outcome.error = `${(err as Error).message}`;
    if (!checks[0]?.pass && outcome.clientChecks.length === 0 && checks[0]) outcome.clientChecks = [checks[0]];
    log("error", `error: ${(err as Error).stack ?? (err as Error).message}`);
  } finally {
    if (injected) {
      log("heal", "heal (after an error)");
      await injected.heal().then(
        (h) => log("heal", `${h.confirmed ? "healed" : "NOT healed"}: ${h.evidence}`),
        (err: Error) => log("error", `heal failed: ${err.message}`),
      );
    }
    await stopLoad().catch(() => {});
    await sampler?.stop();
    if (session) await session.close().catch((err: Error) => log("error", `closing the session failed: ${err.message}`));
  }

  const seconds = (Date.now() - started) / 1000;
  if (target.dryRun) {
    step(`dry run done in ${seconds.toFixed(1)}s`);
    return { scenario: scenario.name, target: target.name, seconds, accepted: 0 };
  }
  const verdict = decideVerdict(outcome);
  log("verdict", `verdict ${verdict.kind}: ${verdict.reasons.join("; ")}`);
  const record: ScenarioRecord = {
    scenario: scenario.name,
    group: scenario.group,
    summary: scenario.summary,
    proves: scenario.proves,
    how,
    target: target.name,
    verdict: verdict.kind,
    reasons: verdict.reasons,
    failures: verdict.failures,
    startedAt,
    seconds,
    accepted: history.accepted().length,
    checks,
    injection: outcome.injection,
    ...(restMs !== undefined ? { restMs } : {}),
    marks: history.marks,
    operations: history.operations,
    samples: sampler?.samples ?? [],
  };
  return { scenario: scenario.name, target: target.name, verdict, seconds, accepted: history.accepted().length, record };
}
