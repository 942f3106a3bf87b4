// Effect confirmations shared by scenarios: what the client's history and the
// orders' outcomes must show for a fault to count as having acted.
import type { EffectEvidence, OrderOutcome, ScenarioDefinition } from "./scenario-definitions.ts";
import { confirmed, notConfirmed } from "./verdict.ts";

/** At least one accepted order was cancelled with `reason` (a CancelReason's JSON name); `by` says what cancelled it. */
function cancelledWith(reason: string, by: string): NonNullable<ScenarioDefinition["effect"]> {
  return {
    needsOutcomes: true,
    confirm: ({ history, outcomes }: EffectEvidence) => {
      const ids = new Set(history.accepted().map((o) => o.orderId));
      const hit = [...(outcomes ?? new Map<string, OrderOutcome>())].filter(([id, o]) => ids.has(id) && o.cancelReason === reason);
      return hit.length > 0
        ? confirmed(`${hit.length} accepted order(s) cancelled ${by} (e.g. ${hit[0]![0]})`)
        : notConfirmed(`no accepted order was cancelled ${by}`);
    },
  };
}

/** At least one accepted order was cancelled by its saga deadline. */
export const cancelledByDeadline = cancelledWith("CANCEL_REASON_DEADLINE_EXCEEDED", "by the saga deadline");

/** At least one accepted order was cancelled because its shipment could not be booked (after its payment was captured). */
export const cancelledByShipping = cancelledWith("CANCEL_REASON_SHIPMENT_FAILED", "because shipping failed");

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
