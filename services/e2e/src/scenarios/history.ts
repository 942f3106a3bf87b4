// The history of one scenario: every operation the client made (each
// PlaceOrder attempt through the gateway: idempotency key, status, order id,
// Retry-After) with its time and the fault phase it counts in. The accepted
// orders it yields are what the invariant checker holds the system to; saved
// as JSON, it is also a `make verify` history (MESHMART_HISTORY=<file>).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AcceptedOrder } from "../invariants.ts";

export type Phase = "before" | "during" | "after";

export interface Operation {
  /** What the client called; absent: PlaceOrder (POST /api/v1/orders). */
  op?: "CancelOrder" | "Refund";
  /** Milliseconds since the history started. */
  at: number;
  durationMs: number;
  /** The phase it started in; one still in flight when the fault was injected counts as during it (History.settledPhase). */
  phase: Phase;
  customerId: string;
  idempotencyKey: string;
  /** 1 for the first try of a key, 2.. for the client's retries with the same key. */
  attempt: number;
  /** HTTP status; 0 when no answer came (connection refused, timeout). */
  status: number;
  orderId?: string;
  /** The Retry-After header of the answer, when it had one. */
  retryAfter?: string;
  /** Problem title/detail of an error answer, or the network error. */
  detail?: string;
}

export interface Mark {
  at: number;
  event: "fault-injected" | "fault-healed" | "load-stopped";
  note?: string;
}

export class History {
  private readonly ops: Operation[] = [];
  private readonly events: Mark[] = [];
  readonly startedAt: number;

  constructor(
    readonly scenario: string,
    readonly target: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = clock();
  }

  now(): number {
    return this.clock() - this.startedAt;
  }

  /** The phase an operation starting now belongs to. */
  phase(): Phase {
    const injected = this.events.some((m) => m.event === "fault-injected");
    // (a mark "load-stopped" leaves the phase as it was)
    const healed = this.events.some((m) => m.event === "fault-healed");
    return healed ? "after" : injected ? "during" : "before";
  }

  /**
   * The phase of an operation that started in `started` and has just
   * answered: one that was in flight when the fault was injected met the
   * fault (a request to a process killed under it), so it counts as during
   * the fault, not against the baseline.
   */
  settledPhase(started: Phase): Phase {
    return started === "before" && this.phase() !== "before" ? "during" : started;
  }

  mark(event: Mark["event"], note?: string): void {
    this.events.push({ at: this.now(), event, ...(note ? { note } : {}) });
  }

  record(op: Operation): void {
    this.ops.push(op);
  }

  get operations(): readonly Operation[] {
    return this.ops;
  }

  get marks(): readonly Mark[] {
    return this.events;
  }

  /** The PlaceOrder attempts (every operation but the cancels and refunds some scenarios make). */
  placements(): Operation[] {
    return this.ops.filter((op) => op.op === undefined);
  }

  /** Orders the gateway accepted (201, or 200 for a replayed key), once each. */
  accepted(): AcceptedOrder[] {
    const seen = new Map<string, AcceptedOrder>();
    for (const op of this.placements()) {
      if ((op.status === 201 || op.status === 200) && op.orderId && !seen.has(op.orderId)) {
        seen.set(op.orderId, { orderId: op.orderId, customerId: op.customerId, idempotencyKey: op.idempotencyKey });
      }
    }
    return [...seen.values()];
  }

  /** Count of answers per status, e.g. { "201": 120, "503": 7 }: of one phase, or of the attempts `phase` picks. */
  statusCounts(phase?: Phase | ((op: Operation) => boolean)): Record<string, number> {
    const counts: Record<string, number> = {};
    const picked = typeof phase === "function" ? phase : (op: Operation) => !phase || op.phase === phase;
    for (const op of this.placements()) {
      if (!picked(op)) continue;
      const key = op.status === 0 ? "no-answer" : String(op.status);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** "201×120 503×7" */
  summary(phase?: Phase | ((op: Operation) => boolean)): string {
    const counts = Object.entries(this.statusCounts(phase)).sort(([a], [b]) => a.localeCompare(b));
    return counts.length === 0 ? "no operations" : counts.map(([status, n]) => `${status}×${n}`).join(" ");
  }

  toJSON(): object {
    return {
      scenario: this.scenario,
      target: this.target,
      startedAt: new Date(this.startedAt).toISOString(),
      marks: this.events,
      accepted: this.accepted(),
      operations: this.ops,
    };
  }

  async save(file: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(this, null, 1)}\n`);
  }
}
