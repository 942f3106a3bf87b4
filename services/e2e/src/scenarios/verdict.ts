// The verdict of one fault scenario, decided from what was observed and never
// from what was hoped: PASS only when the fault was confirmed to have taken
// effect and every check held; FAIL (with the failing checks and the ids that
// break them) when anything broke; NOT-INJECTED (with why) when the fault could
// not be confirmed, so a fault that silently did nothing never reads as a pass.
import type { InvariantResult } from "../invariants.ts";

export type VerdictKind = "PASS" | "FAIL" | "NOT-INJECTED";

/** One piece of evidence about the fault: confirmed, or not with the reason. */
export interface Confirmation {
  confirmed: boolean;
  /** What proves it (confirmed) or why it is not proven (not confirmed). */
  evidence: string;
}

export const confirmed = (evidence: string): Confirmation => ({ confirmed: true, evidence });
export const notConfirmed = (evidence: string): Confirmation => ({ confirmed: false, evidence });

/** Everything a scenario run produced, for the verdict. */
export interface ScenarioOutcome {
  /** Each confirmation the scenario needs (applied, observed, effect): all must hold. Empty means nothing was injected. */
  injection: Confirmation[];
  /** The invariant checker's result (verify()); undefined when it could not run. */
  checks?: { rest: boolean; results: InvariantResult[] };
  /** Checks of the client's view (answers through the gateway). */
  clientChecks: InvariantResult[];
  /** An error that ended the scenario early or left the fault unhealed. */
  error?: string;
}

export interface FailedCheck {
  name: string;
  offenders: string[];
}

export interface ScenarioVerdict {
  kind: VerdictKind;
  /** One line each: why this verdict. */
  reasons: string[];
  /** The checks that failed (FAIL only), with the offending ids. */
  failures: FailedCheck[];
}

export function decideVerdict(outcome: ScenarioOutcome): ScenarioVerdict {
  const failures: FailedCheck[] = [];
  if (outcome.checks && !outcome.checks.rest) {
    failures.push({ name: "rest: the system came to rest within the bound", offenders: ["not at rest (outbox backlog, consumer lag or sagas pending)"] });
  }
  for (const check of [...(outcome.checks?.results ?? []), ...outcome.clientChecks]) {
    if (!check.pass) failures.push({ name: check.name, offenders: check.offenders });
  }
  const unconfirmed = outcome.injection.filter((c) => !c.confirmed);
  const injected = outcome.injection.length > 0 && unconfirmed.length === 0;
  const injectionNotes = unconfirmed.map((c) => `fault not confirmed: ${c.evidence}`);

  // A broken invariant is a finding whether or not the fault was confirmed: it wins.
  if (failures.length > 0) {
    return {
      kind: "FAIL",
      reasons: [...failures.map((f) => `${f.name}: ${f.offenders.length} offender(s)`), ...injectionNotes, ...(outcome.error ? [outcome.error] : [])],
      failures,
    };
  }
  if (!injected) {
    const why =
      outcome.injection.length === 0
        ? [outcome.error ? `no fault was injected: ${outcome.error}` : "no fault was injected"]
        : [...injectionNotes, ...(outcome.error ? [outcome.error] : [])];
    return { kind: "NOT-INJECTED", reasons: why, failures: [] };
  }
  if (outcome.error) return { kind: "FAIL", reasons: [outcome.error], failures: [] };
  if (!outcome.checks) return { kind: "FAIL", reasons: ["the invariants were not checked"], failures: [] };
  return { kind: "PASS", reasons: outcome.injection.map((c) => c.evidence), failures: [] };
}

export interface TableRow {
  scenario: string;
  target: string;
  verdict: VerdictKind | "DRY-RUN";
  seconds: number;
  accepted: number;
  detail: string;
}

/** The verdict table printed at the end of a run. */
export function formatTable(rows: TableRow[]): string {
  const header = ["scenario", "target", "verdict", "time", "accepted", "detail"];
  const cells = rows.map((r) => [r.scenario, r.target, r.verdict, `${r.seconds.toFixed(1)}s`, String(r.accepted), r.detail]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const widthsNoDetail = widths.slice(0, -1);
  const line = (c: string[]) => c.map((cell, i) => (i < widthsNoDetail.length ? cell.padEnd(widths[i]!) : cell)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(Math.min(w, 60)))), ...cells.map(line)].join("\n");
}

/** Exit status of a run: non-zero on any FAIL or NOT-INJECTED. */
export function exitCode(verdicts: Array<VerdictKind | "DRY-RUN">): number {
  return verdicts.some((v) => v === "FAIL" || v === "NOT-INJECTED") ? 1 : 0;
}
