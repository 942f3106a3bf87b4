// Reading traces back from Jaeger's query API (/api/traces), the way the
// README tells a user to find one order's trace: by service and the
// meshmart.order_id tag, then the whole trace by its id.

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: "CHILD_OF" | "FOLLOWS_FROM"; traceID: string; spanID: string }>;
  /** Microseconds since the epoch. */
  startTime: number;
  duration: number;
  tags: Array<{ key: string; type: string; value: unknown }>;
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** A span with its service and tags as a record. */
export interface TraceSpan extends JaegerSpan {
  service: string;
  tag: Record<string, unknown>;
  parentId?: string;
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: T }).data;
}

/** The ids of the traces in which `service` has a span tagged meshmart.order_id=<orderId>. */
export async function traceIdsOfOrder(jaegerUrl: string, service: string, orderId: string): Promise<string[]> {
  const query = new URLSearchParams({ service, tags: JSON.stringify({ "meshmart.order_id": orderId }), lookback: "1h", limit: "20" });
  const traces = await get<JaegerTrace[] | null>(`${jaegerUrl}/api/traces?${query.toString()}`);
  return [...new Set((traces ?? []).map((t) => t.traceID))];
}

export async function readTrace(jaegerUrl: string, traceId: string): Promise<TraceSpan[]> {
  const [trace] = await get<JaegerTrace[]>(`${jaegerUrl}/api/traces/${traceId}`);
  if (!trace) return [];
  return trace.spans.map((span) => ({
    ...span,
    service: trace.processes[span.processID]?.serviceName ?? "?",
    tag: Object.fromEntries(span.tags.map((t) => [t.key, t.value])),
    parentId: span.references.find((r) => r.refType === "CHILD_OF")?.spanID,
  }));
}

/** The chain of spans from `span` up to the root (span first). */
export function ancestry(spans: readonly TraceSpan[], span: TraceSpan): TraceSpan[] {
  const byId = new Map(spans.map((s) => [s.spanID, s]));
  const chain: TraceSpan[] = [];
  for (let at: TraceSpan | undefined = span; at && chain.length <= spans.length; at = at.parentId ? byId.get(at.parentId) : undefined) chain.push(at);
  return chain;
}
