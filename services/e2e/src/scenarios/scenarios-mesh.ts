// Faults of the Istio data plane, on Kubernetes only: they act in the callers'
// Envoy sidecars. Where no sidecar runs (the local cluster: no Envoy binary can
// be had there) they report NOT-INJECTED and change nothing.
import { hypothesis } from "./hypothesis.ts";
import type { ScenarioDefinition } from "./scenario-definitions.ts";

const localNote = { local: "no mesh data plane in the local stack (the same faults are made there by Toxiproxy and the fault switch)" };

export const meshScenarios: ScenarioDefinition[] = [
  {
    name: "istio-delay",
    group: "mesh",
    summary: "Istio delays half of the calls to catalog by 2 s",
    proves: "the mesh's delay fault slows PlaceOrder without failing it; timeouts and deadlines hold",
    how: { kind: "CustomObjectsApi.patchNamespacedCustomObject: a first route on catalog's VirtualService with fault.delay 2 s for 50%; removed after" },
    notOn: localNote,
    fault: { kind: "mesh", mesh: "delay", service: "catalog", delayMs: 2_000, percent: 50 },
    warmupMs: 3_000,
    holdMs: 10_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
  },
  {
    name: "istio-outlier-ejection",
    group: "mesh",
    summary: "one bad inventory replica answers 503 to everything; the callers' outlier detection must eject it",
    proves: "outlier detection takes a bad replica out of the load balancing: the client sees (almost) no 503",
    how: { kind: "needs the callers' Envoy sidecars (outlier_detection.ejections_active); NOT-INJECTED without them" },
    notOn: localNote,
    fault: { kind: "mesh", mesh: "outlier", service: "inventory" },
    warmupMs: 3_000,
    holdMs: 10_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
  },
  {
    name: "istio-pool-overflow",
    group: "mesh",
    summary: "catalog's DestinationRule pool cut to one connection and one pending request: the overflow is answered 503 (UO)",
    proves: "connection-pool limits shed load with 503 the client can retry, instead of queueing without bound",
    how: { kind: "CustomObjectsApi.patchNamespacedCustomObject: catalog's DestinationRule trafficPolicy.connectionPool to 1 connection / 1 pending / 1 request; restored after" },
    notOn: localNote,
    fault: { kind: "mesh", mesh: "pool-overflow", service: "catalog", maxConnections: 1, maxPendingRequests: 1 },
    warmupMs: 3_000,
    holdMs: 10_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.5 } }),
  },
];
