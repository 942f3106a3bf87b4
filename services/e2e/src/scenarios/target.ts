// Where scenarios run: the local processes (local-target.ts) or a Kubernetes
// cluster (kind-target.ts). A target sets up once per run, gives each scenario
// a session (a system to load, fault and verify), and makes the faults.
import type { AcceptedOrder } from "../invariants.ts";
import type { Verdict } from "../verify.ts";
import type { Fault } from "./fault.ts";
import type { History } from "./history.ts";
import type { MetricSample } from "./metrics-sampler.ts";
import type { OrderOutcome, ScenarioDefinition, TargetName } from "./scenario-definitions.ts";
import type { Confirmation } from "./verdict.ts";

export type StepLog = (line: string) => void;

/** A fault in place: how it was confirmed, and how to take it away. */
export interface Injected {
  /** The fault is really there (a process gone, replicas at 0, a rule accepted and read back, a toxic felt by a probe). */
  applied: Confirmation;
  /** Evidence the target can read while the fault is still in place (e.g. aborts counted by Envoy). */
  observe?(): Promise<Confirmation>;
  /** Removes the fault and confirms the system is whole again (the service ready, the rule gone). */
  heal(): Promise<Confirmation>;
  /** Evidence read once the system is at rest (duplicates skipped, a second redrive changing nothing). */
  afterRest?(): Promise<Confirmation>;
}

/** What a fault may use of the running scenario. */
export interface FaultContext {
  history: History;
  holdMs: number;
  /** Bearer tokens for the load's customers (a fault that places its own calls, e.g. cancels). */
  token(customerId: string): Promise<string>;
}

export interface Session {
  /** Where the client (the load) sends its orders. */
  readonly gatewayUrl: string;
  /** A bearer token the gateway accepts for this customer. */
  token(customerId: string): Promise<string>;
  /** Before the fault: every service ready and the system at rest. */
  steadyState(): Promise<Confirmation>;
  inject(fault: Fault, context: FaultContext): Promise<Injected>;
  /** Waits for rest (at most restWithinMs) and checks the seven invariants over the accepted orders. */
  verify(accepted: AcceptedOrder[], log: StepLog, restWithinMs: number): Promise<Verdict>;
  /** Every order's status and cancel reason, by id. */
  orderOutcomes(): Promise<Map<string, OrderOutcome>>;
  /** One reading of the system's gauges for the timeline (outbox backlog, consumer lag, sagas). */
  sample?(): Promise<MetricSample>;
  close(): Promise<void>;
}

export interface Target {
  readonly name: TargetName;
  /** Prints what it would do instead of doing it; sessions of a dry run place no orders. */
  readonly dryRun: boolean;
  open(log: StepLog): Promise<void>;
  /** `outputDir`: the run's directory, where a target that can keeps the services' own output per scenario. */
  session(scenario: ScenarioDefinition, log: StepLog, outputDir?: string): Promise<Session>;
  close(log: StepLog): Promise<void>;
}
