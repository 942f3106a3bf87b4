// Effect confirmations shared by scenarios: what the client's history and the
// orders' outcomes must show for a fault to count as having acted.
import type { EffectEvidence, OrderOutcome, ScenarioDefinition } from "./scenario-definitions.ts";
import { confirmed, notConfirmed } from "./verdict.ts";

/** At least one accepted order was cancelled by its saga deadline. */
export const cancelledByDeadline: NonNullable<ScenarioDefinition["effect"]> = {
  needsOutcomes: true,
  confirm: ({ history, outcomes }: EffectEvidence) => {
    const ids = new Set(history.accepted().map((o) => o.orderId));
    const hit = [...(outcomes ?? new Map<string, OrderOutcome>())].filter(([id, o]) => ids.has(id) && o.cancelReason === "CANCEL_REASON_DEADLINE_EXCEEDED");
    return hit.length > 0
      ? confirmed(`${hit.length} accepted order(s) cancelled by the saga deadline (e.g. ${hit[0]![0]})`)
      : notConfirmed("no accepted order was cancelled by its saga deadline");
  },
};

/** At least one PlaceOrder answered 503 while the fault was in place (or the target counted the fault acting). */
export const refusedDuring: NonNullable<ScenarioDefinition["effect"]> = {
  needsOutcomes: false,
  confirm: ({ history, observed }: EffectEvidence) => {
    const refused = history.placements().filter((op) => op.phase === "during" && op.status === 503);
    if (refused.length > 0) return confirmed(`${refused.length} PlaceOrder answered 503 while the fault was in place${observed?.confirmed ? `; ${observed.evidence}` : ""}`);
    // Through the mesh the client may see few 503s: the gateway's sidecar retries PlaceOrder (safe by its key) on 503.
    if (observed?.confirmed) return confirmed(`no 503 reached the client (retried by the mesh or the callers' client policy), but ${observed.evidence}`);
    return notConfirmed(`no PlaceOrder answered 503 while the fault was in place${observed ? `, and ${observed.evidence}` : ""}`);
  },
};
