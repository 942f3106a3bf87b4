// "At rest": every outbox published, every consumer group caught up, no saga
// outstanding. Read from the services' /metrics and from Kafka's offsets.
import { setTimeout as sleep } from "node:timers/promises";
import { KafkaEventBus, type GroupLagReport } from "@meshmart/platform";
import { services, serviceNames, type ServiceName } from "@meshmart/topology";
import type { RestState } from "./invariants.ts";

export interface RestProbeOptions {
  urls: Record<ServiceName, string>;
  brokers: string[];
  /** KAFKA_TOPIC_PREFIX the services run with. */
  topicPrefix?: string;
  /** Prepended to each consumer group name (the service name). */
  groupPrefix?: string;
}

export interface RestReading extends RestState {
  sagasPending: number;
}

const producers = serviceNames.filter((name) => services[name].database && services[name].produces.length > 0);
const consumers = serviceNames.filter((name) => services[name].consumes.length > 0);

/**
 * The value of an unlabelled metric, or the sum of a labelled one over its
 * series, from Prometheus text; with `labels`, only the series that carry every
 * one of them.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!(line.startsWith(`${name} `) || line.startsWith(`${name}{`))) continue;
    if (wanted.some((pair) => !line.includes(pair))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

export async function readRest(options: RestProbeOptions, bus: KafkaEventBus): Promise<RestReading> {
  const metrics = async (name: ServiceName) => (await fetch(`${options.urls[name]}/metrics`)).text();
  const outboxBacklog: Record<string, number> = {};
  for (const name of producers) outboxBacklog[name] = metricValue(await metrics(name), "outbox_backlog");
  const consumerLag: Record<string, number> = {};
  for (const name of consumers) {
    const topics = services[name].consumes.map((topic) => (options.topicPrefix ?? "") + topic);
    consumerLag[name] = await bus.groupLag((options.groupPrefix ?? "") + name, topics);
  }
  const sagasPending = metricValue(await metrics("orders"), "saga_pending");
  return { outboxBacklog, consumerLag, sagasPending };
}

const atRest = (r: RestReading) =>
  r.sagasPending === 0 &&
  Object.values(r.outboxBacklog).every((n) => n === 0) &&
  Object.values(r.consumerLag).every((n) => n === 0);

/** Polls until the system is at rest (twice in a row) or `timeoutMs` passes; returns the last reading. */
export async function waitForRest(
  options: RestProbeOptions,
  { timeoutMs = 120_000, onProgress }: { timeoutMs?: number; onProgress?: (reading: RestReading) => void } = {},
): Promise<{ rest: boolean; reading: RestReading; behind?: Record<string, GroupLagReport> }> {
  const bus = new KafkaEventBus({ brokers: options.brokers, clientId: "meshmart-verify" });
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  let reading: RestReading | undefined;
  try {
    for (;;) {
      try {
        reading = await readRest(options, bus);
        calm = atRest(reading) ? calm + 1 : 0;
        onProgress?.(reading);
      } catch (err) {
        calm = 0;
        onProgress?.({ outboxBacklog: {}, consumerLag: { [`unreachable: ${(err as Error).message}`]: -1 }, sagasPending: -1 });
      }
      if (calm >= 2 && reading) return { rest: true, reading };
      if (Date.now() > deadline) {
        const last = reading ?? { outboxBacklog: {}, consumerLag: {}, sagasPending: -1 };
        return { rest: false, reading: last, behind: await describeBehind(options, bus, last).catch(() => undefined) };
      }
      await sleep(500);
    }
  } finally {
    await bus.close();
  }
}

/** For each consumer group still behind: its state, members and the partitions it has not committed past. */
async function describeBehind(options: RestProbeOptions, bus: KafkaEventBus, reading: RestReading): Promise<Record<string, GroupLagReport>> {
  const reports: Record<string, GroupLagReport> = {};
  for (const name of consumers.filter((c) => (reading.consumerLag[c] ?? 0) > 0)) {
    const topics = services[name].consumes.map((topic) => (options.topicPrefix ?? "") + topic);
    reports[name] = await bus.describeGroupLag((options.groupPrefix ?? "") + name, topics);
  }
  return reports;
}

/** One line per member and per partition behind, for a log. */
export function formatGroupLag(name: string, report: GroupLagReport): string[] {
  const owner = (topic: string, partition: number) => report.members.find((m) => m.partitions[topic]?.includes(partition));
  return [
    `${name}: group ${report.state}, ${report.members.length} member(s): ${report.members.map((m) => `${m.clientId}@${m.host} [${Object.entries(m.partitions).map(([t, ps]) => `${t}:${ps.join(",")}`).join(" ")}]`).join("; ") || "none"}`,
    ...report.behind.map((p) => `  ${p.topic}/${p.partition}: committed ${p.committed} of ${p.end} (lag ${p.lag}), held by ${owner(p.topic, p.partition)?.memberId ?? "no member"}`),
  ];
}
