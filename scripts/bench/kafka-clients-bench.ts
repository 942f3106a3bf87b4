// The event pipeline (outbox -> relay -> Kafka -> consumer with inbox) once
// through each Kafka client (KAFKA_CLIENT), on the same broker and database,
// one after the other: events/s and latency side by side. Both latency runs
// are offered the same rate (half the slower client's end-to-end rate, unless
// given), so their percentiles compare.
import type { LatencySummary } from "@meshmart/e2e/load/latency-histogram";
import { kafkaClients, type KafkaClient } from "@meshmart/platform/events/kafka-client";
import { measurePipeline, type EventsOptions } from "./events-bench.ts";

export interface KafkaClientResults {
  client: KafkaClient;
  outboxWritesPerSecond: number;
  endToEndPerSecond: number;
  latencyRate: number;
  latency: LatencySummary;
}

export async function runKafkaClientsBench(options: EventsOptions): Promise<KafkaClientResults[]> {
  const { log } = options;
  // Throughput first for both, so that the latency runs share one offered rate.
  const fullSpeed = { ...options, seconds: 0 }; // throughput only
  const throughput = new Map<KafkaClient, number>();
  for (const client of kafkaClients) throughput.set(client, (await measurePipeline({ ...fullSpeed, client })).endToEnd);
  const rate = options.rate > 0 ? options.rate : Math.max(10, Math.round(Math.min(...throughput.values()) / 2));
  const results: KafkaClientResults[] = [];
  for (const client of kafkaClients) {
    const r = await measurePipeline({ ...options, client, rate });
    results.push({ client, outboxWritesPerSecond: Math.round(r.emitRate), endToEndPerSecond: Math.round(r.endToEnd), latencyRate: rate, latency: r.latency });
  }
  log("");
  log(`  client        end to end   latency at ${rate}/s offered: p50 / p99 / max`);
  for (const r of results) {
    log(`  ${r.client.padEnd(12)}  ${`${r.endToEndPerSecond}/s`.padStart(10)}   ${r.latency.p50} / ${r.latency.p99} / ${r.latency.max} ms`);
  }
  return results;
}
