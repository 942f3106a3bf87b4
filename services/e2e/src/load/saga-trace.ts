// One saga, hop by hop, from the databases' own timestamps (one clock: the
// PostgreSQL server's): when each event was written to its producer's outbox,
// when the relay published it, and when each consumer recorded it in its
// inbox. The gaps between them are where a saga's time goes.
import { Database } from "@meshmart/platform";
import { serviceNames, services, type ServiceName } from "@meshmart/topology";

export interface TraceStep {
  /** ms since the order was created. */
  atMs: number;
  service: ServiceName;
  what: string;
}

export interface SagaTrace {
  orderId: string;
  steps: TraceStep[];
  /** The largest gaps, by kind: outbox -> published (relay), published -> inbox (Kafka + consumer), inbox -> next outbox (handler). */
  hops: Array<{ event: string; relayMs: number; deliveryMs: Record<string, number> }>;
}

// The saga's events: what orders (its orchestrator) publishes and what it consumes; everyone who writes or reads them.
const sagaTopics = new Set([...services.orders.produces, ...services.orders.consumes]);
const producers = serviceNames.filter((name) => services[name].produces.some((topic) => sagaTopics.has(topic)));
const consumers = serviceNames.filter((name) => services[name].consumes.some((topic) => sagaTopics.has(topic)));

export async function traceSaga(orderId: string, databaseUrl: (name: ServiceName) => string): Promise<SagaTrace> {
  const dbs = new Map<ServiceName, Database>();
  const db = (name: ServiceName) => {
    if (!dbs.has(name)) dbs.set(name, new Database(databaseUrl(name), undefined, 1));
    return dbs.get(name)!;
  };
  try {
    const order = (await db("orders").query<{ created_at: Date; decided_at: Date | null }>("SELECT created_at, decided_at FROM orders WHERE id = $1", [orderId])).rows[0];
    if (!order) throw new Error(`no order ${orderId}`);
    const t0 = order.created_at.getTime();
    const ms = (d: Date) => Math.round((d.getTime() - t0) * 10) / 10;
    const steps: TraceStep[] = [{ atMs: 0, service: "orders", what: "order created (PlaceOrder)" }];
    if (order.decided_at) steps.push({ atMs: ms(order.decided_at), service: "orders", what: "order decided (CONFIRMED or CANCELLED)" });
    const events: Array<{ id: string; type: string; producer: ServiceName; created: Date; published: Date | null }> = [];
    for (const producer of producers) {
      const { rows } = await db(producer).query<{ id: string; type: string; created_at: Date; published_at: Date | null }>(
        "SELECT id, type, created_at, published_at FROM outbox WHERE aggregate_id = $1 ORDER BY seq",
        [orderId],
      );
      for (const row of rows) events.push({ id: row.id, type: row.type.split(".").at(-1)!, producer, created: row.created_at, published: row.published_at });
    }
    const hops: SagaTrace["hops"] = [];
    for (const event of events) {
      steps.push({ atMs: ms(event.created), service: event.producer, what: `${event.type} written to the outbox` });
      if (event.published) steps.push({ atMs: ms(event.published), service: event.producer, what: `${event.type} published by the relay` });
      const deliveryMs: Record<string, number> = {};
      for (const consumer of consumers) {
        const { rows } = await db(consumer).query<{ handled_at: Date }>("SELECT handled_at FROM inbox WHERE event_id = $1", [event.id]);
        const handled = rows[0]?.handled_at;
        if (!handled) continue;
        steps.push({ atMs: ms(handled), service: consumer, what: `${event.type} received (inbox)` });
        if (event.published) deliveryMs[consumer] = Math.round(handled.getTime() - event.published.getTime());
      }
      hops.push({ event: event.type, relayMs: event.published ? Math.round(event.published.getTime() - event.created.getTime()) : Number.NaN, deliveryMs });
    }
    steps.sort((a, b) => a.atMs - b.atMs);
    return { orderId, steps, hops };
  } finally {
    await Promise.all([...dbs.values()].map((d) => d.close()));
  }
}

export function formatTrace(trace: SagaTrace): string {
  const lines = [`saga of order ${trace.orderId} (ms after the order was created, PostgreSQL's clock):`];
  let previous = 0;
  for (const step of trace.steps) {
    lines.push(`  ${step.atMs.toFixed(1).padStart(9)}  (+${(step.atMs - previous).toFixed(1).padStart(7)})  ${step.service.padEnd(13)} ${step.what}`);
    previous = step.atMs;
  }
  lines.push("  per event: outbox -> published (relay) | published -> inbox, per consumer (Kafka + consumer)");
  for (const hop of trace.hops) {
    lines.push(`    ${hop.event.padEnd(18)} relay ${String(hop.relayMs).padStart(6)} ms | ${Object.entries(hop.deliveryMs).map(([c, v]) => `${c} ${v} ms`).join(", ")}`);
  }
  return lines.join("\n");
}
