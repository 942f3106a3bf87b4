// The system's gauges once a second while a scenario runs, for the report's
// timeline: outbox backlog per service, consumer lag per consumer, sagas
// pending and saga outcomes so far (from each service's /metrics, on the
// direct addresses, so that a faulted edge does not blind the reading). A
// service that does not answer (killed, say) reads as missing for that second.
import { serviceNames, services, type ServiceName } from "@meshmart/topology";
import { metricValue } from "../rest.ts";

export interface MetricSample {
  /** Milliseconds since the history started. */
  at: number;
  outboxBacklog: Partial<Record<ServiceName, number>>;
  consumerLag: Partial<Record<ServiceName, number>>;
  sagasPending?: number;
  /** Counters since orders started (they restart at 0 with the process). */
  sagasConfirmed?: number;
  sagasCancelled?: number;
}

const producers = serviceNames.filter((name) => services[name].database && services[name].produces.length > 0);
const consumers = serviceNames.filter((name) => services[name].consumes.length > 0);

export async function readSample(urls: Record<ServiceName, string>, at: number): Promise<MetricSample> {
  const text = async (name: ServiceName) => {
    try {
      const res = await fetch(`${urls[name]}/metrics`, { signal: AbortSignal.timeout(800) });
      return res.ok ? await res.text() : undefined;
    } catch {
      return undefined;
    }
  };
  const names = [...new Set([...producers, ...consumers])];
  const texts = new Map(await Promise.all(names.map(async (name) => [name, await text(name)] as const)));
  const sample: MetricSample = { at, outboxBacklog: {}, consumerLag: {} };
  for (const name of producers) {
    const t = texts.get(name);
    if (t !== undefined) sample.outboxBacklog[name] = metricValue(t, "outbox_backlog");
  }
  for (const name of consumers) {
    const t = texts.get(name);
    if (t !== undefined) sample.consumerLag[name] = metricValue(t, "consumer_lag");
  }
  const orders = texts.get("orders");
  if (orders !== undefined) {
    sample.sagasPending = metricValue(orders, "saga_pending");
    sample.sagasConfirmed = metricValue(orders, "saga_outcomes_total", { outcome: "confirmed" });
    sample.sagasCancelled = metricValue(orders, "saga_outcomes_total", { outcome: "cancelled" });
  }
  return sample;
}

/** Reads a sample every `periodMs` until stopped. */
export function startSampler(read: () => Promise<MetricSample>, periodMs = 1_000): { samples: MetricSample[]; stop(): Promise<void> } {
  const samples: MetricSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      try {
        samples.push(await read());
      } catch {
        // a missing second
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, periodMs - (Date.now() - started))));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}
