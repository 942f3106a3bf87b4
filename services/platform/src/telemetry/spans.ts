// Running work in a span of the platform's tracer: the span is active for
// the work (child spans, log lines and outgoing trace headers see it), gets
// the error of work that throws, and always ends.
import { SpanStatusCode, context, trace, type Attributes, type Context, type Span, type SpanKind, type SpanOptions } from "@opentelemetry/api";
import { ATTR_ERROR_TYPE } from "@opentelemetry/semantic-conventions";
import { platformTracer } from "./tracing.ts";

export interface SpanSettings {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent context (default: the active one). */
  parent?: Context;
  /** Start a new trace whatever is active. */
  root?: boolean;
  links?: SpanOptions["links"];
}

export async function inSpan<T>(name: string, settings: SpanSettings, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = settings.parent ?? context.active();
  const span = platformTracer().startSpan(name, { kind: settings.kind, attributes: settings.attributes, links: settings.links, root: settings.root }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (err) {
    recordError(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Marks `span` failed with `err` (as an exception event and error.type). */
export function recordError(span: Span, err: unknown, type?: string): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setAttribute(ATTR_ERROR_TYPE, type ?? error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** Adds attributes to the active span (a handler naming the order it works on). */
export function annotateSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** Attribute names meshmart adds to its spans. */
export const meshmartAttributes = {
  orderId: "meshmart.order_id",
  eventType: "meshmart.event.type",
  sagaEvent: "meshmart.saga.event",
  sagaStatus: "meshmart.saga.status",
} as const;
