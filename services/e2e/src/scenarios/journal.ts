// The journal of a run: every step, probe, fault action and heal with its
// time, and per scenario its verdict, checks, every operation of its history
// and the gauges read each second. Written (again after every scenario, so an
// interrupted run keeps what it did) to .local/scenarios/<run>/journal.json;
// the HTML report (report-html.ts) is made from it.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { InvariantResult } from "../invariants.ts";
import type { Mark, Operation } from "./history.ts";
import type { MetricSample } from "./metrics-sampler.ts";
import type { Confirmation, FailedCheck, VerdictKind } from "./verdict.ts";

export type EntryKind = "step" | "probe" | "fault" | "heal" | "check" | "verdict" | "error";

export interface JournalEntry {
  /** Wall-clock time. */
  at: string;
  /** Milliseconds since the run started. */
  ms: number;
  scenario?: string;
  kind: EntryKind;
  text: string;
}

export interface ScenarioRecord {
  scenario: string;
  group: string;
  summary: string;
  proves: string;
  how: string;
  target: string;
  verdict: VerdictKind | "DRY-RUN";
  reasons: string[];
  failures: FailedCheck[];
  startedAt: string;
  seconds: number;
  accepted: number;
  /** The steady state before, the hypothesis's client checks and the seven invariants. */
  checks: InvariantResult[];
  injection: Confirmation[];
  /** Time from the end of the load until the system was at rest. */
  restMs?: number;
  marks: readonly Mark[];
  operations: readonly Operation[];
  samples: readonly MetricSample[];
}

export interface Score {
  run: number;
  passed: number;
  failed: number;
  notInjected: number;
  /** passed / (passed + failed): NOT-INJECTED scenarios proved nothing either way and count apart. */
  score: number | undefined;
}

export function resilienceScore(verdicts: Array<VerdictKind | "DRY-RUN">): Score {
  const passed = verdicts.filter((v) => v === "PASS").length;
  const failed = verdicts.filter((v) => v === "FAIL").length;
  const notInjected = verdicts.filter((v) => v === "NOT-INJECTED").length;
  return { run: passed + failed, passed, failed, notInjected, score: passed + failed === 0 ? undefined : passed / (passed + failed) };
}

export class Journal {
  readonly entries: JournalEntry[] = [];
  readonly scenarios: ScenarioRecord[] = [];
  readonly startedAt = new Date();

  constructor(
    readonly run: string,
    readonly target: string,
    readonly dir: string,
  ) {}

  get file(): string {
    return path.join(this.dir, "journal.json");
  }

  entry(kind: EntryKind, text: string, scenario?: string): void {
    const now = new Date();
    this.entries.push({ at: now.toISOString(), ms: now.getTime() - this.startedAt.getTime(), ...(scenario ? { scenario } : {}), kind, text });
  }

  add(record: ScenarioRecord): void {
    this.scenarios.push(record);
  }

  toJSON(): object {
    return {
      run: this.run,
      target: this.target,
      startedAt: this.startedAt.toISOString(),
      writtenAt: new Date().toISOString(),
      score: resilienceScore(this.scenarios.map((s) => s.verdict)),
      scenarios: this.scenarios,
      entries: this.entries,
    };
  }

  async save(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file, `${JSON.stringify(this, null, 1)}\n`);
    return this.file;
  }
}
