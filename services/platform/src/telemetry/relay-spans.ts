// The relay's PRODUCER spans: one per event it publishes, a child of the span
// that wrote the event to the outbox (its context is stored with the row), and
// whose own context travels on the Kafka message as traceparent/tracestate.
import { SpanKind, context, trace, type Span } from "@opentelemetry/api";
import { messagingAttributes } from "./messaging-spans.ts";
import { meshmartAttributes, recordError } from "./spans.ts";
import { contextFromHeaders, traceHeaders, type TraceHeaders } from "./trace-context.ts";
import { platformTracer } from "./tracing.ts";

export interface PublishedRow {
  id: string;
  topic: string;
  key: string;
  type: string;
  traceparent: string | null;
  tracestate: string | null;
}

export interface PublishSpans {
  /** The trace headers of each row's message, in the rows' order. */
  readonly headers: TraceHeaders[];
  /** Ends every span; with `err`, as failed. */
  end(err?: unknown): void;
}

export function publishSpans(rows: readonly PublishedRow[]): PublishSpans {
  const spans: Span[] = [];
  const headers = rows.map((row) => {
    const parent = contextFromHeaders({ traceparent: row.traceparent ?? undefined, tracestate: row.tracestate ?? undefined }, context.active());
    const span = platformTracer().startSpan(
      `publish ${row.type}`,
      { kind: SpanKind.PRODUCER, attributes: { ...messagingAttributes("send", row.topic, row.id, row.key), [meshmartAttributes.eventType]: row.type } },
      parent,
    );
    spans.push(span);
    return traceHeaders(trace.setSpan(parent, span));
  });
  return {
    headers,
    end(err) {
      for (const span of spans) {
        if (err !== undefined) recordError(span, err);
        span.end();
      }
    },
  };
}
