// The order's timeline (migration 003): every saga event applied to an order,
// appended in the transaction that applies it, with the clock decide() used,
// what caused it, what it changed and emitted, and where the order stood
// after it. Folding the entries through decide() (saga-decision.ts fold)
// gives the order's saga columns back: the row is a cache of its timeline.
import type { Queryable } from "@meshmart/platform";
import { asPlaced, fold, type SagaChanges, type SagaDecision, type SagaEvent, type SagaState, type StatusName, type StepName } from "./saga-decision.ts";

export interface TimelineEntry {
  seq: number;
  /** The database clock decide() took the event at. */
  at: Date;
  event: SagaEvent;
  /** What delivered the event: a CloudEvent ("<type> <id>"), an RPC, or the deadline sweeper. */
  cause: string;
  changes: SagaChanges;
  /** The types of the events emitted through the outbox. */
  emitted: string[];
  status: StatusName;
  step: StepName;
}

type TimelineRow = Omit<TimelineEntry, "step"> & { saga_step: StepName };

/** Appends one applied event to a locked (or just inserted) order's timeline. */
export async function appendTimeline(
  db: Queryable,
  orderId: string,
  entry: { at: Date; event: SagaEvent; cause: string; decision: SagaDecision; after: { status: StatusName; step: StepName } },
): Promise<void> {
  await db.query(
    `INSERT INTO order_timeline (order_id, seq, at, event, cause, changes, emitted, status, saga_step)
     SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM order_timeline WHERE order_id = $1`,
    [
      orderId,
      entry.at,
      JSON.stringify(entry.event),
      entry.cause,
      JSON.stringify(entry.decision.changes),
      entry.decision.emits.map((e) => e.type),
      entry.after.status,
      entry.after.step,
    ],
  );
}

export async function readTimeline(db: Queryable, orderId: string): Promise<TimelineEntry[]> {
  const { rows } = await db.query<TimelineRow>(
    "SELECT seq, at, event, cause, changes, emitted, status, saga_step FROM order_timeline WHERE order_id = $1 ORDER BY seq",
    [orderId],
  );
  return rows.map(({ saga_step, ...row }) => ({ ...row, step: saga_step }));
}

/** The order's saga state recomputed from its timeline, starting from the order as placed. */
export function foldTimeline(order: SagaState, timeline: readonly TimelineEntry[]): SagaState {
  return fold(asPlaced(order), timeline).state;
}
