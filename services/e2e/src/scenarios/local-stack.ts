// What the local target's faults work on: one scenario's stack (six service
// processes), the run's PostgreSQL, Kafka broker and Toxiproxy, the port
// layout, and the probes they confirm themselves with. The probes go to the
// direct addresses, never through a proxy a fault may sit on.
import { setTimeout as sleep } from "node:timers/promises";
import type { KafkaHandle } from "@meshmart/infra/kafka";
import type { PostgresHandle } from "@meshmart/infra/postgres";
import type { ToxiproxyHandle } from "@meshmart/infra/toxiproxy";
import type { ServiceName } from "@meshmart/topology";
import type { Kafka } from "kafkajs";
import { metricValue } from "../rest.ts";
import type { TestStack } from "../test-stack.ts";
import type { LocalTopology } from "./local-topology.ts";
import type { StepLog } from "./target.ts";
import { confirmed, notConfirmed, type Confirmation } from "./verdict.ts";

export interface LocalStack {
  stack: TestStack;
  postgres: PostgresHandle;
  kafka: KafkaHandle;
  /** A kafkajs client on the broker's direct listener. */
  admin: Kafka;
  toxiproxy: ToxiproxyHandle;
  topology: LocalTopology;
  log: StepLog;
}

/** The service's direct URL. */
export const urlOf = (local: LocalStack, name: ServiceName) => local.stack.processes.urls[name];

export async function refusesConnections(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return false;
  } catch {
    return true;
  }
}

/**
 * Whether GET /readyz answers 200 within `withinMs` (asked every half second):
 * on a busy machine one slow answer is not a service that is not ready.
 */
export async function isReady(url: string, withinMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) }).then((r) => r.ok, () => false);
    if (ok || Date.now() >= deadline) return ok;
    await sleep(500);
  }
}

/** Replaces a service's fault-switch rules (PUT /admin/faults) and reads them back. */
export async function putFaults(url: string, rules: string): Promise<Confirmation> {
  const put = await fetch(`${url}/admin/faults`, { method: "PUT", body: rules, signal: AbortSignal.timeout(5_000) });
  if (put.status !== 200) return notConfirmed(`PUT ${url}/admin/faults answered ${put.status}: ${await put.text()}`);
  const active = ((await (await fetch(`${url}/admin/faults`)).json()) as { faults?: unknown[] }).faults ?? [];
  const expected = rules.split(",").filter((r) => r.trim()).length;
  return active.length === expected
    ? confirmed(rules ? `fault switch reads back ${active.length} rule(s): ${rules}` : "fault switch reads back no rule")
    : notConfirmed(`fault switch reads back ${active.length} rule(s), expected ${expected}`);
}

export async function metricsText(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}/metrics answered ${res.status}`);
  return res.text();
}

/** Events the consumers of these services skipped as duplicates (inbox), since each started. */
export async function duplicatesSkipped(local: LocalStack, names: ServiceName[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = metricValue(await metricsText(urlOf(local, name)), "consumer_events_total", { outcome: "duplicate" });
  return counts;
}

/** The sum of a histogram's observations and their count (e.g. handler time for one event type). */
export async function histogramTotals(url: string, name: string, label: string, value: string): Promise<{ sum: number; count: number }> {
  const text = await metricsText(url);
  const matching = text.split("\n").filter((l) => l.includes(`${label}="${value}"`)).join("\n");
  return { sum: metricValue(matching, `${name}_sum`), count: metricValue(matching, `${name}_count`) };
}
