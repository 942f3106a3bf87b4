// Clients that retry on their own: the gateway's client repeating every
// PlaceOrder with the same key while catalog is slow, and a proxy that repeats
// POSTs to payments (the default-retry double payout).
import { hypothesis } from "./hypothesis.ts";
import type { ScenarioDefinition } from "./scenario-definitions.ts";
import { confirmed, notConfirmed } from "./verdict.ts";

export const clientScenarios: ScenarioDefinition[] = [
  {
    name: "client-retry-storm",
    group: "clients",
    summary: "catalog 0.6 s slow (Toxiproxy latency, within its per-try timeout) while the client sends every PlaceOrder again, same key, whenever 0.4 s pass without an answer",
    proves: "PlaceOrder is idempotent under concurrency: parallel copies of one request (same key) make one order, answered to every copy",
    how: { local: "Toxiproxy latency 600 ± 200 ms on every caller -> catalog; the load hedges: the same request again, in parallel, after 400 ms without an answer (up to 3 copies)" },
    notOn: { kind: "Toxiproxy runs only in front of the local stack (the mesh's own retries of PlaceOrder are exercised by catalog-errors on kind)" },
    // Slow, not failing: catalog's reads have a per-try timeout of 1 s (3 s route timeout over three
    // tries, in the mesh and in the client policy alike), so a 1.5 s delay would make every try time out
    // and open the callers' breaker; this scenario is about copies of one request, not a dead catalog.
    fault: { kind: "client-retry-storm", edge: { to: "service", service: "catalog" }, toxic: { type: "latency", attributes: { latency: 600, jitter: 200 } } },
    load: { mode: "hedged", hedgeAfterMs: 400 },
    warmupMs: 3_000,
    holdMs: 8_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.9, maxP99Ms: 8_000 } }),
    effect: {
      needsOutcomes: false,
      confirm: ({ history }) => {
        const byKey = new Map<string, Array<{ at: number; end: number }>>();
        for (const op of history.placements()) {
          if (op.phase !== "during") continue;
          byKey.set(op.idempotencyKey, [...(byKey.get(op.idempotencyKey) ?? []), { at: op.at, end: op.at + op.durationMs }]);
        }
        const overlapping = [...byKey.values()].filter((attempts) => attempts.some((a, i) => attempts.some((b, j) => i !== j && b.at >= a.at && b.at < a.end)));
        return overlapping.length > 0
          ? confirmed(`${overlapping.length} idempotency key(s) had copies of PlaceOrder in flight at the same time`)
          : notConfirmed("no two copies of one PlaceOrder were in flight at once");
      },
    },
  },
  {
    name: "retrying-proxy-refunds",
    group: "clients",
    summary: "orders cancelled right after they are placed (the provider's charges slowed to 250 ms so sagas are pending), and Refund called for each cancelled one through a proxy that repeats every Refund POST twice after its answer",
    proves: "payments' write RPC is safe to retry (as the mesh's policy claims): a Refund delivered three times, racing the saga's own compensation, refunds once",
    how: { local: "PUT /admin/faults on payments \"provider:charge=stall:250\"; an HTTP proxy in front of payments that sends each Refund again twice after the answer came (a retried POST whose answer was lost); cancels through the gateway, refunds of the cancelled orders through the proxy" },
    notOn: { kind: "the repeating proxy is a local process; on Kubernetes the mesh's retries of Refund (retryableMethods) play its part" },
    fault: { kind: "retrying-proxy", service: "payments", method: "Refund", repeats: 2 },
    warmupMs: 3_000,
    holdMs: 8_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
  },
];
