// Slow and failing dependencies, made by the services' own fault switch:
// payments past the saga deadline, catalog failing a share of calls, the
// payment provider getting slower and slower, the carrier failing a share of
// shipments, catalog slower than the gateway's deadline.
import { cancelledByDeadline, cancelledByShipping, refusedDuring } from "./effects.ts";
import { hypothesis } from "./hypothesis.ts";
import type { ScenarioDefinition } from "./scenario-definitions.ts";
import { confirmed, notConfirmed } from "./verdict.ts";

const stallMs = 5_000;
const sagaTimeoutMs = 3_000;
const catalogMethods = ["ListProducts", "BatchGetProducts"];
const gatewayDeadlineMs = 2_000;
const catalogStallMs = 6_000;
const carrierFailure = 0.4;

export const dependencyScenarios: ScenarioDefinition[] = [
  {
    name: "payment-stall",
    group: "dependencies",
    summary: `payments stalls PaymentRequested ${stallMs / 1000} s, past a ${sagaTimeoutMs / 1000} s saga deadline; sagas cancel and compensate`,
    proves: "the saga deadline is enforced: late payments are cancelled and a capture that lands after the cancel is refunded",
    how: {
      local: `orders runs with SAGA_TIMEOUT_MS=${sagaTimeoutMs}; PUT /admin/faults on payments "event:PaymentRequested=stall:${stallMs}"`,
      kind: `AppsV1Api.patchNamespacedDeployment: env FAULTS on payments and SAGA_TIMEOUT_MS=${sagaTimeoutMs} on orders, rolled out; reverted after`,
    },
    fault: { kind: "fault-switch", service: "payments", rules: `event:PaymentRequested=stall:${stallMs}` },
    warmupMs: 3_000,
    holdMs: 6_000,
    cooldownMs: 4_000,
    serviceEnv: { orders: { SAGA_TIMEOUT_MS: String(sagaTimeoutMs) } },
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
    effect: cancelledByDeadline,
  },
  {
    name: "catalog-errors",
    group: "dependencies",
    summary: `catalog's ${catalogMethods.join("/")} fail with unavailable for 30% of calls; the client sees 503 + Retry-After, nothing accepted is lost`,
    proves: "a failing dependency turns into honest refusals the client can retry, never into a 500 or a half-made order",
    how: {
      local: `PUT /admin/faults on catalog "${catalogMethods.map((m) => `${m}=fail:unavailable@0.3`).join(",")}"`,
      kind: "CustomObjectsApi.patchNamespacedCustomObject: a route on the catalog VirtualService aborting 30% with 503 (Istio disables retries on it); removed after",
    },
    fault: { kind: "fault-switch", service: "catalog", rules: catalogMethods.map((m) => `${m}=fail:unavailable@0.3`).join(",") },
    kindFault: { kind: "mesh-abort", methods: catalogMethods, fraction: 0.3 },
    warmupMs: 3_000,
    holdMs: 8_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.5 } }),
    effect: refusedDuring,
    quick: true,
  },
  {
    name: "provider-latency",
    group: "dependencies",
    summary: "the payment provider's latency rises 200 -> 800 -> 1600 ms per charge, then heals",
    proves: "a provider getting slower builds a backlog of payment requests, not failures: it drains after, each order charged once",
    how: {
      local: 'PUT /admin/faults on payments "provider:charge=stall:200", then stall:800 after 3 s and stall:1600 after 6 s',
      kind: 'env FAULTS="provider:charge=stall:800" on payments, rolled out; reverted after',
    },
    fault: {
      kind: "fault-switch",
      service: "payments",
      rules: "provider:charge=stall:200",
      steps: [
        { afterMs: 3_000, rules: "provider:charge=stall:800" },
        { afterMs: 6_000, rules: "provider:charge=stall:1600" },
      ],
    },
    kindFault: { kind: "fault-switch", service: "payments", rules: "provider:charge=stall:800" },
    warmupMs: 3_000,
    holdMs: 9_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
  },
  {
    name: "carrier-failures",
    group: "dependencies",
    summary: `the carrier fails ${carrierFailure * 100}% of shipment bookings (after the payment was captured); those orders cancel and compensate`,
    proves:
      "the saga's third step compensates the first two: an order whose shipment fails is cancelled SHIPMENT_FAILED, its capture refunded and its stock released, and no cancelled order keeps a booked shipment",
    how: {
      local: `PUT /admin/faults on shipping "carrier:book=fail:unavailable@${carrierFailure}"`,
      kind: `env FAULTS="carrier:book=fail:unavailable@${carrierFailure}" on shipping, rolled out; reverted after`,
    },
    fault: { kind: "fault-switch", service: "shipping", rules: `carrier:book=fail:unavailable@${carrierFailure}` },
    warmupMs: 3_000,
    holdMs: 8_000,
    cooldownMs: 4_000,
    // Every order is still accepted: shipping fails after PlaceOrder has answered.
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
    effect: cancelledByShipping,
  },
  {
    name: "catalog-past-deadline",
    group: "dependencies",
    summary: `catalog stalls BatchGetProducts ${catalogStallMs / 1000} s, past the gateway's ${gatewayDeadlineMs / 1000} s deadline; the deadline travels gateway -> orders -> catalog`,
    proves: "deadline propagation: the client gets its answer (504) when the gateway's deadline passes, not when catalog finishes; no late order is made",
    how: {
      local: `gateway with BACKEND_TIMEOUT_MS=${gatewayDeadlineMs}; PUT /admin/faults on catalog "BatchGetProducts=stall:${catalogStallMs}"`,
      kind: `env FAULTS on catalog and BACKEND_TIMEOUT_MS=${gatewayDeadlineMs} on the gateway, rolled out; reverted after`,
    },
    fault: { kind: "fault-switch", service: "catalog", rules: `BatchGetProducts=stall:${catalogStallMs}` },
    warmupMs: 3_000,
    holdMs: 6_000,
    cooldownMs: 4_000,
    serviceEnv: { gateway: { BACKEND_TIMEOUT_MS: String(gatewayDeadlineMs) } },
    hypothesis: hypothesis({
      during: {
        minAccepted: 0,
        maxP99Ms: gatewayDeadlineMs + 1_500,
        allowed: [{ status: 504, why: "the gateway's deadline passed: the answer the client is owed, on time" }],
      },
      // Attempts still in flight at the heal started during the fault: their 504 is counted there.
      after: { allowed: [{ status: 504, why: "a retry of a key that began while catalog stalled" }] },
    }),
    effect: {
      needsOutcomes: false,
      confirm: ({ history }) => {
        const cut = history.placements().filter((op) => op.phase === "during" && (op.status === 504 || op.status === 503) && op.durationMs < catalogStallMs - 1_000);
        return cut.length > 0
          ? confirmed(`${cut.length} PlaceOrder answered ${cut[0]!.status} within ${Math.max(...cut.map((op) => op.durationMs))} ms while catalog stalled ${catalogStallMs} ms: the deadline, not catalog, ended them`)
          : notConfirmed(`no PlaceOrder was ended by the deadline while catalog stalled (${history.summary("during")})`);
      },
    },
  },
];
