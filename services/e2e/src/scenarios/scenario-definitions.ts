// The fault scenarios: what each breaks, for how long, what must be observed
// for the fault to count as injected, and the steady-state hypothesis the
// client's view is held to. How a fault is made is the target's business
// (local-target.ts, kind-target.ts); the timeline and the verdict are the
// runner's (scenario-runner.ts). The scenarios themselves are grouped by what
// they break: scenarios-*.ts.
import type { ServiceName } from "@meshmart/topology";
import type { Fault } from "./fault.ts";
import type { History } from "./history.ts";
import type { SteadyStateHypothesis } from "./hypothesis.ts";
import { clientScenarios } from "./scenarios-clients.ts";
import { dependencyScenarios } from "./scenarios-dependencies.ts";
import { dataScenarios } from "./scenarios-data.ts";
import { eventScenarios } from "./scenarios-events.ts";
import { meshScenarios } from "./scenarios-mesh.ts";
import { networkScenarios } from "./scenarios-network.ts";
import { processScenarios } from "./scenarios-process.ts";
import type { Confirmation } from "./verdict.ts";

export type TargetName = "local" | "kind";
export const targetNames: readonly TargetName[] = ["local", "kind"];

/** An order's end as orders reports it, e.g. ORDER_STATUS_CANCELLED / CANCEL_REASON_DEADLINE_EXCEEDED. */
export interface OrderOutcome {
  status: string;
  cancelReason: string;
}

export interface EffectEvidence {
  history: History;
  /** Outcome of every order, by id (read after rest), when the scenario asks for it. */
  outcomes?: Map<string, OrderOutcome>;
  /** What the target itself observed while the fault was in place (kind: Envoy's fault counters). */
  observed?: Confirmation;
}

export interface LoadShape {
  /** New orders per second (each its own idempotency key), whatever the system does: an open loop. */
  ratePerSecond: number;
  /**
   * polite: a refused or unanswered attempt is retried with the same key after
   * Retry-After (at most 3 tries). hedged: the client also sends the same
   * request again, in parallel, whenever an attempt has not answered within
   * hedgeAfterMs (the gateway's client retrying every PlaceOrder on its own).
   */
  mode: "polite" | "hedged";
  hedgeAfterMs?: number;
  requestTimeoutMs: number;
}

export const defaultLoad: LoadShape = { ratePerSecond: 8, mode: "polite", requestTimeoutMs: 15_000 };

export type ScenarioGroup = "processes" | "data" | "events" | "network" | "dependencies" | "clients" | "mesh";

export interface ScenarioDefinition {
  name: string;
  group: ScenarioGroup;
  summary: string;
  /** What the scenario proves when it passes (README). */
  proves: string;
  /** What the fault is on each target it runs on; a target without an entry does not run it by default. */
  how: Partial<Record<TargetName, string>>;
  /** Why a target has no such fault (listed, and the verdict when it is asked for anyway). */
  notOn?: Partial<Record<TargetName, string>>;
  fault: Fault;
  /** The fault on Kubernetes when it differs (an Istio fault where the local target uses the fault switch). */
  kindFault?: Fault;
  /** Load before the fault. */
  warmupMs: number;
  /** How long the fault stays in place once confirmed, before it is healed. */
  holdMs: number;
  /** Load after the heal. */
  cooldownMs: number;
  load?: Partial<LoadShape>;
  /** Environment of services for this scenario (local: at start; kind: patched in with a fault-switch fault). */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  hypothesis: SteadyStateHypothesis;
  /** Confirms from the client's history (and the orders' outcomes) that the fault acted. */
  effect?: { needsOutcomes: boolean; confirm(evidence: EffectEvidence): Confirmation };
  /** One of the fastest, run inside `make test` (scenarios/quick-suite.test.ts). */
  quick?: boolean;
}

export const scenarios: readonly ScenarioDefinition[] = [
  ...processScenarios,
  ...dataScenarios,
  ...eventScenarios,
  ...networkScenarios,
  ...dependencyScenarios,
  ...clientScenarios,
  ...meshScenarios,
].map(withoutProductCacheOnCatalogFaults);

/**
 * A fault on catalog is a fault on pricing: each PlaceOrder must meet it, so
 * orders' product cache (which would price the products it holds without
 * catalog) is off in those scenarios. The cache's own behaviour is tested by
 * services/orders/src/price-change.test.ts.
 */
function withoutProductCacheOnCatalogFaults(scenario: ScenarioDefinition): ScenarioDefinition {
  // Every fault shape names its services as strings ("service", "services", edges): look for catalog in any of them.
  const onCatalog = [scenario.fault, scenario.kindFault].some((fault) => fault !== undefined && JSON.stringify(fault).includes('"catalog"'));
  if (!onCatalog) return scenario;
  const serviceEnv = scenario.serviceEnv ?? {};
  return { ...scenario, serviceEnv: { ...serviceEnv, orders: { ...serviceEnv.orders, PRODUCT_CACHE_TTL_MS: "0" } } };
}

export function findScenario(name: string): ScenarioDefinition | undefined {
  return scenarios.find((s) => s.name === name);
}

/** The scenarios a target runs when none is named: those with a fault there. */
export function scenariosFor(target: TargetName): ScenarioDefinition[] {
  return scenarios.filter((s) => s.how[target] !== undefined);
}

export const quickScenarios = (): ScenarioDefinition[] => scenarios.filter((s) => s.quick);

/** `--list`: one block per scenario. */
export function listScenarios(): string {
  const lines = scenarios.map((s) =>
    [
      `${s.name}`,
      `  ${s.summary}`,
      ...targetNames.map((t) => `  ${t.padEnd(5)}  ${s.how[t] ?? `(not on this target: ${s.notOn?.[t] ?? "no such fault here"})`}`),
    ].join("\n"),
  );
  const counts = targetNames.map((t) => `${scenariosFor(t).length} on ${t}`).join(", ");
  return `${lines.join("\n\n")}\n\n${scenarios.length} scenarios (${counts}); quick subset (make test): ${quickScenarios().map((s) => s.name).join(", ")}`;
}
