// The faults the scenarios make, as data. A target (local-target.ts,
// kind-target.ts) knows how to make, confirm and heal the kinds it supports;
// a kind it cannot make is reported NOT-INJECTED with why, never skipped in
// silence.
import type { ServiceName } from "@meshmart/topology";

/** An edge of the local stack that runs through Toxiproxy (local-topology.ts). */
export type ProxyEdge =
  /** Every caller of the service (and the load, for the gateway) -> the service. */
  | { to: "service"; service: ServiceName }
  /** The service -> PostgreSQL (its DATABASE_URL). */
  | { to: "postgres"; service: ServiceName }
  /** The service -> Kafka (its KAFKA_BROKERS, and the listener that advertises the proxy). */
  | { to: "kafka"; service: ServiceName };

export interface Toxic {
  type: "latency" | "bandwidth" | "timeout" | "reset_peer" | "slicer";
  /** downstream: server -> client (default), upstream: client -> server. */
  stream?: "upstream" | "downstream";
  attributes: Record<string, number>;
}

export type MeshFault =
  /** A fixed delay on every call to the service (VirtualService fault.delay). */
  | { mesh: "delay"; service: ServiceName; delayMs: number; percent: number }
  /** One replica answers 503 to everything; outlier detection must eject it (DestinationRule outlierDetection). */
  | { mesh: "outlier"; service: ServiceName }
  /** More concurrent calls than the DestinationRule's connection pool allows: overflow answered 503 (UO). */
  | { mesh: "pool-overflow"; service: ServiceName; maxConnections: number; maxPendingRequests: number };

export type Fault =
  /** SIGKILL (kind: pod delete with grace 0) or SIGTERM (kind: scale to zero) of services, back after downMs. */
  | { kind: "process-kill"; services: ServiceName[]; signal: "SIGKILL" | "SIGTERM"; downMs: number; sagasPending?: boolean }
  /** The Kafka broker stopped (kind: the StatefulSet at 0). */
  | { kind: "kafka-outage" }
  /** PostgreSQL, every service's database: a fast shutdown ("halt") or SIGKILL of all its processes ("kill"). */
  | { kind: "postgres-outage"; mode: "halt" | "kill"; downMs: number }
  /** One service's database refuses connections and its sessions are terminated; the others are untouched. */
  | { kind: "database-outage"; service: ServiceName; downMs: number }
  /**
   * Rules for a service's fault switch (PUT /admin/faults locally; env FAULTS
   * and a rollout on Kubernetes), optionally replaced by later rules while the
   * fault holds (a rising stall).
   */
  | { kind: "fault-switch"; service: ServiceName; rules: string; steps?: Array<{ afterMs: number; rules: string }> }
  /** A test-only crash point of the fault switch (relay:after-publish, committed:<type>): the service kills itself there. */
  | { kind: "crash-point"; service: ServiceName; rules: string }
  /** history killed (SIGKILL) and restarted, then its projection rebuilt from the start of its topics under load. */
  | { kind: "projection-rebuild" }
  /** The consumers of these services stopped, their groups rewound to the start of every topic, started again. */
  | { kind: "redelivery-storm"; services: ServiceName[] }
  /**
   * Undecodable messages on a topic, and (while they are dead-lettered) a
   * consumer's handler failing, so that valid events end in <topic>.dlq too;
   * after the heal, those are redriven, twice.
   */
  | { kind: "poison-message"; topic: string; count: number; failing: { service: ServiceName; rules: string } }
  /** A Toxiproxy toxic on one edge. */
  | { kind: "toxic"; edge: ProxyEdge; toxic: Toxic }
  /** One edge cut: its proxy disabled (new connections refused, open ones dropped). */
  | { kind: "edge-cut"; edge: ProxyEdge }
  /** A toxic on an edge while the load retries every PlaceOrder on its own, with the same key, in parallel. */
  | { kind: "client-retry-storm"; edge: ProxyEdge; toxic: Toxic }
  /** An HTTP proxy in front of payments that repeats every Refund after its answer (a retried POST); refunds through it. */
  | { kind: "retrying-proxy"; service: "payments"; method: "Refund"; repeats: number }
  /** Extra instances of a service join its consumer group and leave again, cycle after cycle (kind: the Deployment scaled). */
  | { kind: "rebalance-storm"; service: ServiceName; extra: number; cycles: number; periodMs: number }
  /** A fault of the Istio data plane: only where Envoy sidecars run. */
  | ({ kind: "mesh" } & MeshFault)
  /** The Istio abort of a fraction of calls to chosen methods of catalog (kind only). */
  | { kind: "mesh-abort"; methods: string[]; fraction: number };

/** A short name of an edge, as the proxies are named: svc-catalog, pg-orders, kafka-payments. */
export function edgeName(edge: ProxyEdge): string {
  return `${edge.to === "service" ? "svc" : edge.to === "postgres" ? "pg" : "kafka"}-${edge.service}`;
}

export function describeEdge(edge: ProxyEdge): string {
  switch (edge.to) {
    case "service":
      return `every caller -> ${edge.service}`;
    case "postgres":
      return `${edge.service} -> PostgreSQL`;
    case "kafka":
      return `${edge.service} -> Kafka`;
  }
}
