// Where scenarios run: the local processes (local-target.ts) or a kind cluster
// (kind-target.ts). A target sets up once per run, gives each scenario a
// session (a system to load, fault and verify), and makes the faults.
import type { AcceptedOrder } from "../invariants.ts";
import type { Verdict } from "../verify.ts";
import type { Fault, OrderOutcome, ScenarioDefinition, TargetName } from "./scenario-definitions.ts";
import type { Confirmation } from "./verdict.ts";

export type StepLog = (line: string) => void;

/** A fault in place: how it was confirmed, and how to take it away. */
export interface Injected {
  /** The fault is really there (a process gone, replicas at 0, a rule accepted and read back). */
  applied: Confirmation;
  /** Evidence the target can read while the fault is still in place (e.g. aborts counted by Envoy). */
  observe?(): Promise<Confirmation>;
  /** Removes the fault and confirms the system is whole again (the service ready, the rule gone). */
  heal(): Promise<Confirmation>;
}

export interface Session {
  readonly gatewayUrl: string;
  /** A bearer token the gateway accepts for this customer. */
  token(customerId: string): Promise<string>;
  inject(fault: Fault): Promise<Injected>;
  /** Waits for rest and checks the five invariants over the accepted orders. */
  verify(accepted: AcceptedOrder[], log: StepLog): Promise<Verdict>;
  /** Every order's status and cancel reason, by id. */
  orderOutcomes(): Promise<Map<string, OrderOutcome>>;
  close(): Promise<void>;
}

export interface Target {
  readonly name: TargetName;
  /** Prints what it would do instead of doing it; sessions of a dry run place no orders. */
  readonly dryRun: boolean;
  open(log: StepLog): Promise<void>;
  session(scenario: ScenarioDefinition, log: StepLog): Promise<Session>;
  close(log: StepLog): Promise<void>;
}
