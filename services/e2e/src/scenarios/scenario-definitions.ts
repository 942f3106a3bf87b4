// The fault scenarios: what each breaks, for how long, what must be observed
// for the fault to count as injected, and what the client must see. How a
// fault is made is the target's business (local-target.ts, kind-target.ts);
// the timeline and the verdict are the runner's (scenario-runner.ts).
import type { ServiceName } from "@meshmart/topology";
import type { InvariantResult } from "../invariants.ts";
import type { History, Phase } from "./history.ts";
import { confirmed, notConfirmed, type Confirmation } from "./verdict.ts";

export type TargetName = "local" | "kind";
export const targetNames: readonly TargetName[] = ["local", "kind"];

/** The faults the targets know how to make, heal and confirm. */
export type Fault =
  | { kind: "pod-kill"; service: ServiceName }
  | { kind: "scale-to-zero"; service: ServiceName }
  | { kind: "kafka-outage" }
  | { kind: "payment-stall"; stallMs: number; sagaTimeoutMs: number }
  | { kind: "catalog-errors"; methods: string[]; fraction: number };

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

export interface ScenarioDefinition {
  name: string;
  summary: string;
  /** What the fault is on each target it runs on. */
  how: Record<TargetName, string>;
  fault: Fault;
  /** Load before the fault. */
  warmupMs: number;
  /** How long the fault stays in place once confirmed, before it is healed. */
  holdMs: number;
  /** Load after the heal. */
  cooldownMs: number;
  /** Environment of the local stack's services for this scenario. */
  localServiceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Confirms from the client's history (and the orders' outcomes) that the fault acted. */
  effect?: { needsOutcomes: boolean; confirm(evidence: EffectEvidence): Confirmation };
}

const stall: Fault & { kind: "payment-stall" } = { kind: "payment-stall", stallMs: 5_000, sagaTimeoutMs: 3_000 };
const catalogErrors: Fault & { kind: "catalog-errors" } = { kind: "catalog-errors", methods: ["ListProducts", "BatchGetProducts"], fraction: 0.3 };

export const scenarios: readonly ScenarioDefinition[] = [
  {
    name: "service-kill",
    summary: "SIGKILL inventory mid-load; it comes back and every saga still ends",
    how: {
      local: "SIGKILL the inventory process, restart it 1 s later",
      kind: "CoreV1Api.deleteNamespacedPod on one Ready inventory pod (gracePeriodSeconds 0); a new pod must become Ready",
    },
    fault: { kind: "pod-kill", service: "inventory" },
    warmupMs: 3_000,
    holdMs: 1_000,
    cooldownMs: 4_000,
  },
  {
    name: "scale-to-zero",
    summary: "payments gone for 10 s mid-load; payment requests wait in Kafka",
    how: {
      local: "stop the payments process (SIGTERM), start it again 10 s later",
      kind: "AppsV1Api.patchNamespacedDeploymentScale payments to 0 (status.replicas must reach 0), 10 s, then back",
    },
    fault: { kind: "scale-to-zero", service: "payments" },
    warmupMs: 3_000,
    holdMs: 10_000,
    cooldownMs: 4_000,
  },
  {
    name: "kafka-outage",
    summary: "the broker stopped for 10 s mid-load; orders are still accepted, events wait in the outboxes",
    how: {
      local: "stop the scenario's own Kafka broker (startKafka own: true), start it 10 s later",
      kind: "AppsV1Api.patchNamespacedStatefulSetScale kafka to 0 (its pods must be gone), 10 s, then back",
    },
    fault: { kind: "kafka-outage" },
    warmupMs: 3_000,
    holdMs: 10_000,
    cooldownMs: 4_000,
  },
  {
    name: "payment-stall",
    summary: `payments stalls PaymentRequested ${stall.stallMs / 1000} s, past a ${stall.sagaTimeoutMs / 1000} s saga deadline; sagas cancel and compensate`,
    how: {
      local: `orders runs with SAGA_TIMEOUT_MS=${stall.sagaTimeoutMs}; PUT /admin/faults on payments "event:PaymentRequested=stall:${stall.stallMs}"`,
      kind: `AppsV1Api.patchNamespacedDeployment: env FAULTS on payments and SAGA_TIMEOUT_MS=${stall.sagaTimeoutMs} on orders, rolled out; reverted after`,
    },
    fault: stall,
    warmupMs: 3_000,
    holdMs: 6_000,
    cooldownMs: 4_000,
    localServiceEnv: { orders: { SAGA_TIMEOUT_MS: String(stall.sagaTimeoutMs) } },
    effect: {
      needsOutcomes: true,
      confirm: ({ history, outcomes }) => {
        const ids = new Set(history.accepted().map((o) => o.orderId));
        const hit = [...(outcomes ?? new Map<string, OrderOutcome>())].filter(
          ([id, o]) => ids.has(id) && o.cancelReason === "CANCEL_REASON_DEADLINE_EXCEEDED",
        );
        return hit.length > 0
          ? confirmed(`${hit.length} accepted order(s) cancelled by the saga deadline (e.g. ${hit[0]![0]})`)
          : notConfirmed("the stall rule was set, but no accepted order was cancelled by its saga deadline");
      },
    },
  },
  {
    name: "catalog-errors",
    summary: `catalog's ${catalogErrors.methods.join("/")} fail with unavailable for ${catalogErrors.fraction * 100}% of calls; the client sees 503 + Retry-After, nothing accepted is lost`,
    how: {
      local: `PUT /admin/faults on catalog "${catalogErrors.methods.map((m) => `${m}=fail:unavailable@${catalogErrors.fraction}`).join(",")}"`,
      kind: `CustomObjectsApi.patchNamespacedCustomObject: a route on the catalog VirtualService aborting ${catalogErrors.fraction * 100}% with 503 (Istio disables retries on it); removed after`,
    },
    fault: catalogErrors,
    warmupMs: 3_000,
    holdMs: 10_000,
    cooldownMs: 4_000,
    effect: {
      needsOutcomes: false,
      // The client may see few 503s: through the mesh the gateway's sidecar retries
      // PlaceOrder (safe by its idempotency key) on 503, locally orders' client
      // retries BatchGetProducts (client-policy.ts), so what the sidecars or
      // orders' client counted is evidence too.
      confirm: ({ history, observed }) => {
        const refused = history.operations.filter((op) => op.phase === "during" && op.status === 503);
        if (refused.length > 0) return confirmed(`${refused.length} PlaceOrder answered 503 while the fault was in place${observed?.confirmed ? `; ${observed.evidence}` : ""}`);
        if (observed?.confirmed) return confirmed(`no 503 reached the client (retried), but ${observed.evidence}`);
        return notConfirmed(`no PlaceOrder answered 503 while the fault was in place${observed ? `, and ${observed.evidence}` : ""}`);
      },
    },
  },
];

export function findScenario(name: string): ScenarioDefinition | undefined {
  return scenarios.find((s) => s.name === name);
}

/** `--list`: one block per scenario. */
export function listScenarios(): string {
  return scenarios
    .map((s) => [`${s.name}`, `  ${s.summary}`, ...targetNames.map((t) => `  ${t.padEnd(5)}  ${s.how[t]}`)].join("\n"))
    .join("\n\n");
}

const phases: Phase[] = ["before", "during", "after"];

/**
 * The client's view, the same for every scenario: each answer is a success
 * (201, or 200 for a replayed key) or a refusal the client is told to retry
 * (503/429 with Retry-After); and orders were accepted in every phase that had
 * traffic (an outage of a backend PlaceOrder does not call must not stop
 * PlaceOrder; a partial one must not stop it entirely).
 */
export function clientChecks(history: History): InvariantResult[] {
  const bad = history.operations.filter(
    (op) => !(op.status === 200 || op.status === 201 || ((op.status === 503 || op.status === 429) && op.retryAfter !== undefined)),
  );
  const answers: InvariantResult = {
    name: "client: every answer is a success or a 503/429 with Retry-After",
    pass: bad.length === 0,
    offenders: bad.map((op) => `${op.idempotencyKey}: ${op.status === 0 ? "no answer" : op.status} during ${op.phase}${op.detail ? ` (${op.detail})` : ""}`),
    summary: `${history.operations.length} PlaceOrder answers: ${history.summary()}`,
  };
  const starved = phases.filter((phase) => {
    const ops = history.operations.filter((op) => op.phase === phase);
    return ops.length > 0 && !ops.some((op) => op.status === 200 || op.status === 201);
  });
  const progress: InvariantResult = {
    name: "client: orders accepted before, during and after the fault",
    pass: history.operations.length > 0 && starved.length === 0,
    offenders:
      history.operations.length === 0 ? ["no order was placed"] : starved.map((phase) => `${phase} the fault: ${history.summary(phase)}, none accepted`),
    summary: phases.map((phase) => `${phase}: ${history.summary(phase)}`).join("; "),
  };
  return [answers, progress];
}
