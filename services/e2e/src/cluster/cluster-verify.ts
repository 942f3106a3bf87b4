// The invariant check on the cluster. It is verify() (services/e2e) with
// one difference: verify() reads consumer lag with a Kafka client, and from
// outside the cluster no Kafka client can talk to the brokers (they advertise
// their in-cluster names, kafka-0.kafka-headless.meshmart.svc.cluster.local).
// So the lag is read where the broker is: kafka-consumer-groups.sh, executed
// in the Kafka pod. Everything else is verify()'s own parts: the outbox
// backlog and pending sagas from the services' /metrics, the snapshot through
// their audit RPCs (via the port-forwards), and checkInvariants().
import { setTimeout as sleep } from "node:timers/promises";
import { serviceNames, services, type ServiceName } from "@meshmart/topology";
import { checkInvariants, type AcceptedOrder } from "../invariants.ts";
import { metricValue, type RestReading } from "../rest.ts";
import { readSnapshot } from "../snapshot.ts";
import { createSystemClients } from "../system-clients.ts";
import type { Verdict } from "../verify.ts";
import type { KubeOps } from "./kube-ops.ts";

const producers = serviceNames.filter((name) => services[name].database && services[name].produces.length > 0);
const consumers = serviceNames.filter((name) => services[name].consumes.length > 0);

/** The command run in the Kafka pod (a small heap: it shares the broker's memory limit). */
export const consumerGroupsCommand = [
  "env",
  "KAFKA_HEAP_OPTS=-Xmx128m",
  "/opt/kafka/bin/kafka-consumer-groups.sh",
  "--bootstrap-server",
  "localhost:9092",
  "--describe",
  "--all-groups",
];

/**
 * Lag per consumer group (the service's name in the cluster) over the topics
 * it consumes, from `kafka-consumer-groups.sh --describe` output. A partition
 * with no committed offset counts its whole log as lag; a group that does not
 * appear at all reads -1, which the events invariant reports.
 */
export function parseConsumerGroupLag(output: string, topicsByGroup: Record<string, readonly string[]>): Record<string, number> {
  const lag: Record<string, number> = Object.fromEntries(Object.keys(topicsByGroup).map((group) => [group, -1]));
  for (const line of output.split("\n")) {
    const [group, topic, partition, current, end, groupLag] = line.trim().split(/\s+/);
    if (group === undefined || !(group in topicsByGroup) || !topicsByGroup[group]!.includes(topic ?? "")) continue;
    if (!/^\d+$/.test(partition ?? "")) continue;
    const unread = /^\d+$/.test(groupLag ?? "") ? Number(groupLag) : current === "-" && /^\d+$/.test(end ?? "") ? Number(end) : 0;
    lag[group] = Math.max(lag[group]!, 0) + unread;
  }
  return lag;
}

/** Calls to the service its sidecars answered with an injected fault: response flag FI (abort) or DI (delay). */
export function countFaultAborts(prometheusText: string, destinationService: string, flag: "FI" | "DI" = "FI"): number {
  let sum = 0;
  for (const line of prometheusText.split("\n")) {
    if (!line.startsWith("istio_requests_total{")) continue;
    if (!line.includes(`response_flags="${flag}"`) || !line.includes(`destination_service_name="${destinationService}"`)) continue;
    if (line.includes('reporter="destination"')) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

export interface ClusterVerifyOptions {
  ops: KubeOps;
  /** Where each service answers (the port-forwards). */
  urls: Record<ServiceName, string>;
  accepted: AcceptedOrder[];
  restTimeoutMs?: number;
  log: (line: string) => void;
}

async function readKafkaLag(ops: KubeOps): Promise<Record<string, number>> {
  const broker = (await ops.listPods("app.kubernetes.io/name=kafka")).find((p) => p.ready && !p.terminating);
  if (!broker) throw new Error("no Ready Kafka pod to read consumer lag from");
  const output = await ops.exec(broker.name, "kafka", consumerGroupsCommand);
  return parseConsumerGroupLag(output, Object.fromEntries(consumers.map((name) => [name, services[name].consumes])));
}

export async function readClusterRest(options: Pick<ClusterVerifyOptions, "ops" | "urls">): Promise<RestReading> {
  const metrics = async (name: ServiceName) => {
    const res = await fetch(`${options.urls[name]}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${name} /metrics answered ${res.status}`);
    return res.text();
  };
  const outboxBacklog: Record<string, number> = {};
  for (const name of producers) outboxBacklog[name] = metricValue(await metrics(name), "outbox_backlog");
  const sagasPending = metricValue(await metrics("orders"), "saga_pending");
  const consumerLag = await readKafkaLag(options.ops);
  return { outboxBacklog, consumerLag, sagasPending };
}

const atRest = (r: RestReading) =>
  r.sagasPending === 0 && Object.values(r.outboxBacklog).every((n) => n === 0) && Object.values(r.consumerLag).every((n) => n === 0);

/** verify() for the cluster: waits (bounded) for rest, reads the system, checks the seven invariants. */
export async function verifyOnCluster(options: ClusterVerifyOptions): Promise<Verdict> {
  const { log } = options;
  const timeoutMs = options.restTimeoutMs ?? 180_000;
  log(`waiting for rest (outboxes empty, consumer lag 0 by kafka-consumer-groups.sh in the Kafka pod, no saga pending; up to ${timeoutMs / 1000}s)...`);
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  let reading: RestReading | undefined;
  let last = "";
  for (;;) {
    let line: string;
    try {
      reading = await readClusterRest(options);
      calm = atRest(reading) ? calm + 1 : 0;
      line = `  outbox ${JSON.stringify(reading.outboxBacklog)} lag ${JSON.stringify(reading.consumerLag)} sagas pending ${reading.sagasPending}`;
    } catch (err) {
      calm = 0;
      line = `  cannot read the rest state yet: ${(err as Error).message}`;
    }
    if (line !== last) log(line);
    last = line;
    if (calm >= 2 || Date.now() > deadline) break;
    await sleep(2_000);
  }
  const rest = calm >= 2;
  log(rest ? "at rest." : "NOT at rest within the bound: checking anyway, failures below are real.");
  const env = Object.fromEntries(serviceNames.map((name) => [`${name.toUpperCase()}_URL`, options.urls[name]]));
  const snapshot = await readSnapshot(createSystemClients(env));
  const results = checkInvariants(snapshot, reading ?? { outboxBacklog: {}, consumerLag: { "rest state": -1 } }, options.accepted);
  for (const r of results) {
    log(`${r.pass ? "PASS" : "FAIL"}  ${r.name}  (${r.summary})`);
    for (const offender of r.offenders.slice(0, 20)) log(`        ${offender}`);
    if (r.offenders.length > 20) log(`        ... and ${r.offenders.length - 20} more`);
  }
  return { rest, results, pass: rest && results.every((r) => r.pass) };
}
