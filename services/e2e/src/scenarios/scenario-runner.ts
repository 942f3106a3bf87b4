// One scenario, start to verdict, the same on every target:
//   session -> history + load -> warm-up -> inject + confirm -> hold -> heal ->
//   cool-down -> stop load -> wait for rest + five invariants -> effect
//   confirmation -> verdict.
// Each step prints one line. A fault that cannot be confirmed is still healed
// and the system still checked: the verdict is then NOT-INJECTED (or FAIL
// when an invariant broke anyway), never a pass.
import { randomUUID } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { GatewayShopper } from "../gateway-shopper.ts";
import { History } from "./history.ts";
import { startOrderLoad, type OrderLoad } from "./order-load.ts";
import { clientChecks, type ScenarioDefinition } from "./scenario-definitions.ts";
import type { Injected, Session, StepLog, Target } from "./target.ts";
import { decideVerdict, type Confirmation, type ScenarioOutcome, type ScenarioVerdict } from "./verdict.ts";

export interface ScenarioResult {
  scenario: string;
  target: string;
  /** undefined for a dry run. */
  verdict?: ScenarioVerdict;
  seconds: number;
  accepted: number;
  historyFile?: string;
}

export interface RunOptions {
  /** Where histories are written (one JSON file per scenario). */
  historyDir: string;
  shoppers?: number;
  print?: (line: string) => void;
}

export async function runScenario(scenario: ScenarioDefinition, target: Target, options: RunOptions): Promise<ScenarioResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const started = Date.now();
  const step: StepLog = (line) => print(`[${scenario.name} +${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
  const wait = async (ms: number, why: string) => {
    step(`${target.dryRun ? "would wait" : "waiting"} ${(ms / 1000).toFixed(0)} s (${why})`);
    if (!target.dryRun) await sleep(ms);
  };
  /** One line per confirmation; in a dry run the answers come from a simulation and say so. */
  const report = (what: string, c: Confirmation) =>
    step(target.dryRun ? `${what} (simulated answer): ${c.evidence}` : `${what} ${c.confirmed ? "CONFIRMED" : "NOT CONFIRMED"}: ${c.evidence}`);
  const history = new History(scenario.name, target.name);
  const outcome: ScenarioOutcome = { injection: [], clientChecks: [] };
  let session: Session | undefined;
  let load: OrderLoad | undefined;
  let injected: Injected | undefined;
  let historyFile: string | undefined;
  let observed: Confirmation | undefined;

  const stopLoad = async () => {
    if (!load) return;
    const running = load;
    load = undefined;
    await running.stop();
    step(`load stopped: ${history.operations.length} PlaceOrder attempts, ${history.accepted().length} accepted (${history.summary()})`);
  };

  step(`scenario ${scenario.name} on ${target.name}${target.dryRun ? " (dry run)" : ""}: ${scenario.summary}`);
  try {
    session = await target.session(scenario, step);
    if (target.dryRun) {
      step(`would list products (GET ${session.gatewayUrl}/api/v1/products) and start ${options.shoppers ?? 3} shoppers placing orders (POST ${session.gatewayUrl}/api/v1/orders), recording each in the history`);
    } else {
      const customers = Array.from({ length: options.shoppers ?? 3 }, () => randomUUID());
      const shoppers = await Promise.all(customers.map(async (customerId) => ({ customerId, token: await session!.token(customerId) })));
      const products = await new GatewayShopper(session.gatewayUrl, shoppers[0]!.token).listProductIds();
      step(`load: ${shoppers.length} shoppers through ${session.gatewayUrl} over ${products.length} products`);
      load = startOrderLoad({ gatewayUrl: session.gatewayUrl, shoppers, products, history });
    }
    await wait(scenario.warmupMs, "load before the fault");

    step(`inject: ${scenario.how[target.name]}`);
    history.mark("fault-injected");
    injected = await session.inject(scenario.fault);
    outcome.injection.push(injected.applied);
    report("fault", injected.applied);
    if (injected.applied.confirmed) await wait(scenario.holdMs, "fault in place, load running");
    if (injected.observe && injected.applied.confirmed) {
      observed = await injected.observe();
      report("fault observed", observed);
      if (!scenario.effect) outcome.injection.push(observed); // else the effect check weighs it
    }
    step("heal");
    const healing = injected;
    injected = undefined;
    const healed = await healing.heal();
    history.mark("fault-healed");
    report("healed", healed);
    if (!healed.confirmed) outcome.error = `the fault was not healed: ${healed.evidence}`;
    await wait(scenario.cooldownMs, "load after the heal");
    await stopLoad();

    if (!target.dryRun) {
      historyFile = path.join(options.historyDir, `${scenario.name}.history.json`);
      await history.save(historyFile);
      step(`history: ${path.relative(process.cwd(), historyFile)}`);
    }
    step(`${target.dryRun ? "would wait" : "waiting"} for rest, then check the five invariants over the accepted orders`);
    if (target.dryRun) {
      await session.verify([], step); // prints what it would read
      if (scenario.effect) step(`would confirm the fault's effect${scenario.effect.needsOutcomes ? " from the orders' outcomes (orders Audit RPC)" : " from the history"}`);
    } else {
      const checked = await session.verify(history.accepted(), (line) => step(`  ${line}`));
      outcome.checks = { rest: checked.rest, results: checked.results };
      outcome.clientChecks = clientChecks(history);
      for (const check of outcome.clientChecks) {
        step(`  ${check.pass ? "PASS" : "FAIL"}  ${check.name}  (${check.summary})`);
        for (const offender of check.offenders.slice(0, 10)) step(`          ${offender}`);
      }
      if (scenario.effect) {
        const outcomes = scenario.effect.needsOutcomes ? await session.orderOutcomes() : undefined;
        const effect = scenario.effect.confirm({ history, ...(outcomes ? { outcomes } : {}), ...(observed ? { observed } : {}) });
        outcome.injection.push(effect);
        report("effect", effect);
      }
    }
  } catch (err) {
    outcome.error = `${(err as Error).message}`;
    step(`error: ${(err as Error).stack ?? (err as Error).message}`);
  } finally {
    if (injected) {
      step("heal (after an error)");
      await injected.heal().then(
        (h) => step(`${h.confirmed ? "healed" : "NOT healed"}: ${h.evidence}`),
        (err: Error) => step(`heal failed: ${err.message}`),
      );
    }
    await stopLoad().catch(() => {});
    if (session) await session.close().catch((err: Error) => step(`closing the session failed: ${err.message}`));
  }

  const seconds = (Date.now() - started) / 1000;
  if (target.dryRun) {
    step(`dry run done in ${seconds.toFixed(1)}s`);
    return { scenario: scenario.name, target: target.name, seconds, accepted: 0 };
  }
  const verdict = decideVerdict(outcome);
  step(`verdict ${verdict.kind}: ${verdict.reasons.join("; ")}`);
  return { scenario: scenario.name, target: target.name, verdict, seconds, accepted: history.accepted().length, ...(historyFile ? { historyFile } : {}) };
}
