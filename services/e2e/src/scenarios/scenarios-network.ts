// Slow and broken networks rather than dead processes: Toxiproxy toxics on one
// edge of the local stack (every service call, every database and Kafka
// connection runs through a proxy of its own: local-topology.ts).
import type { Fault, ProxyEdge, Toxic } from "./fault.ts";
import { describeEdge } from "./fault.ts";
import { hypothesis, lostMember } from "./hypothesis.ts";
import type { ScenarioDefinition } from "./scenario-definitions.ts";

const localOnly = { kind: "Toxiproxy runs only in front of the local stack; the mesh's delay fault is istio-delay" };

function toxic(name: string, edge: ProxyEdge, t: Toxic, summary: string, proves: string, extra: Partial<ScenarioDefinition> = {}): ScenarioDefinition {
  const fault: Fault = { kind: "toxic", edge, toxic: t };
  const attributes = Object.entries(t.attributes).map(([k, v]) => `${k} ${v}`).join(", ");
  return {
    name,
    group: "network",
    summary,
    proves,
    how: { local: `Toxiproxy ${t.type} (${attributes}, ${t.stream ?? "downstream"}) on ${describeEdge(edge)}; read back, and a probe through that proxy must show it` },
    notOn: localOnly,
    fault,
    warmupMs: 3_000,
    holdMs: 8_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({}),
    ...extra,
  };
}

export const networkScenarios: ScenarioDefinition[] = [
  toxic(
    "net-latency",
    { to: "service", service: "catalog" },
    { type: "latency", attributes: { latency: 300, jitter: 200 } },
    "every call to catalog 300 ± 200 ms slower",
    "a slow dependency makes PlaceOrder slower, not wrong: every order accepted, within the p99 bound",
    { quick: true, hypothesis: hypothesis({ during: { minAccepted: 0.95, maxP99Ms: 5_000 } }) },
  ),
  toxic(
    "net-bandwidth",
    { to: "postgres", service: "orders" },
    { type: "bandwidth", attributes: { rate: 16 } },
    "orders' connections to PostgreSQL limited to 16 KB/s",
    "a thin pipe to the database slows the orchestrator; its transactions still commit whole and the saga catches up",
  ),
  toxic(
    "net-timeout",
    { to: "postgres", service: "payments" },
    { type: "timeout", attributes: { timeout: 2_000 } },
    "payments' database connections swallow every byte and close after 2 s",
    "a database that hangs instead of refusing is detected (connection errors), payments pauses and resumes; no capture is lost or doubled",
  ),
  toxic(
    "net-reset-peer",
    { to: "kafka", service: "inventory" },
    { type: "reset_peer", stream: "upstream", attributes: { timeout: 500 } },
    "inventory's Kafka connections reset (TCP RST) 0.5 s after they open",
    "a flapping broker connection makes the consumer reconnect and re-fetch; what it had not committed is redone and skipped",
    // The consumer crashes and rejoins as a new member while the one it was, unable to leave the
    // group over reset connections, keeps its partitions until its session times out.
    { cooldownMs: lostMember.cooldownMs, hypothesis: hypothesis({ recoveryMs: lostMember.recoveryMs }) },
  ),
  toxic(
    "net-slicer",
    { to: "service", service: "orders" },
    { type: "slicer", attributes: { average_size: 24, size_variation: 16, delay: 200 } },
    "everything orders answers arrives in slices of ~24 bytes, 200 µs apart",
    "HTTP/1.1 and HTTP/2 framing survive fragmented reads: every answer through the gateway is whole",
  ),
  {
    name: "kafka-cutoff",
    group: "network",
    summary: "payments cut off from Kafka for 10 s (its proxy disabled) while its clients still reach it",
    proves: "a partition between one service and the broker only delays that service's events: its RPCs keep answering, nothing is lost",
    how: { local: "Toxiproxy: the proxy payments -> Kafka disabled (a connection through it must be refused, payments' /readyz through its own proxy must answer), enabled 10 s later" },
    notOn: localOnly,
    fault: { kind: "edge-cut", edge: { to: "kafka", service: "payments" } },
    warmupMs: 3_000,
    holdMs: 10_000,
    // Cut off for as long as a session lasts, payments loses its group membership and rejoins after the heal.
    cooldownMs: lostMember.cooldownMs,
    // Payments' step of every saga waits meanwhile: once ADMISSION_MIN_PENDING sagas are pending the
    // gateway's admission control refuses new orders with 503 + Retry-After, as with scale-to-zero,
    // so the default half of the orders, not 90%, is the bound while it lasts.
    hypothesis: hypothesis({ recoveryMs: lostMember.recoveryMs }),
  },
];
