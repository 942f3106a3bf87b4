// W3C trace context for the whole process, from OpenTelemetry: the context
// manager (AsyncLocalStorage) that carries the active span through async
// calls, and the propagator that reads and writes `traceparent` and
// `tracestate` on HTTP headers, Kafka headers and outbox rows. Installed once
// per process on first use; the span ids themselves come from the tracer
// provider (tracing.ts).
import { context, propagation, trace, type Context, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

let installed = false;

/** Registers the context manager and the W3C propagator with the OpenTelemetry API (idempotent). */
export function installTraceContext(): void {
  if (installed) return;
  installed = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** Trace headers as a plain record (Kafka headers, an outbox row's columns). */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

const recordGetter: TextMapGetter<Record<string, string | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};
const recordSetter: TextMapSetter<Record<string, string | undefined>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The trace headers of `from` (default: the active context); empty when there is no valid span. */
export function traceHeaders(from: Context = context.active()): TraceHeaders {
  installTraceContext();
  const carrier: Record<string, string | undefined> = {};
  propagation.inject(from, carrier, recordSetter);
  return carrier;
}

/** The context a message's or a row's trace headers continue (the root context when they hold none). */
export function contextFromHeaders(headers: Readonly<Record<string, string | undefined>>, base: Context = context.active()): Context {
  installTraceContext();
  return propagation.extract(base, headers, recordGetter);
}

/** Sets the active context's trace headers on `headers` (the Web Headers of a Connect call). */
export function injectInto(headers: Headers, from: Context = context.active()): void {
  const { traceparent, tracestate } = traceHeaders(from);
  if (traceparent) headers.set("traceparent", traceparent);
  if (tracestate) headers.set("tracestate", tracestate);
}

/** Continues the trace of incoming Web Headers. */
export function contextFromWebHeaders(headers: Headers, base: Context = context.active()): Context {
  installTraceContext();
  return propagation.extract(base, headers, {
    keys: (carrier) => [...carrier.keys()],
    get: (carrier, key) => carrier.get(key) ?? undefined,
  });
}

/** The ids of the active span, for log lines and error bodies; undefined outside any span. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { traceId, spanId } : undefined;
}
