// The consumer's CONSUMER span: one per message handled (all its attempts),
// a child of the relay's publish span whose context the message's
// traceparent carries, so the handler's work joins the trace of the request
// that caused the event. Failed attempts are events on the span; a message
// that ends in the dead-letter topic marks it failed.
import { SpanKind, type Span } from "@opentelemetry/api";
import { messageTraceHeaders, type CloudEventAttributes } from "../events/cloud-events.ts";
import type { ConsumedMessage } from "../events/event-bus.ts";
import { consumerAttributes, messagingAttributes } from "./messaging-spans.ts";
import { inSpan, meshmartAttributes, recordError } from "./spans.ts";
import { contextFromHeaders } from "./trace-context.ts";

export interface ProcessSpan {
  readonly span: Span;
  /** Records a failed attempt (retried, or paused on a dependency that is down). */
  attemptFailed(err: Error, dependencyDown: boolean): void;
}

export function processSpan<T extends { handled: boolean; error?: Error } | undefined>(
  message: ConsumedMessage,
  event: CloudEventAttributes,
  group: string,
  work: (span: ProcessSpan) => Promise<T>,
): Promise<T> {
  const parent = contextFromHeaders(messageTraceHeaders(message.headers));
  const attributes = {
    ...messagingAttributes("process", message.topic, event.id, message.key),
    ...consumerAttributes(group, message.partition, message.offset),
    [meshmartAttributes.eventType]: event.type,
  };
  return inSpan(`process ${event.type}`, { kind: SpanKind.CONSUMER, attributes, parent }, async (span) => {
    const result = await work({
      span,
      attemptFailed: (err, dependencyDown) =>
        span.addEvent("attempt failed", { "exception.message": err.message, "meshmart.dependency_down": dependencyDown }),
    });
    if (result && !result.handled && result.error) recordError(span, result.error, "dead_lettered");
    return result;
  });
}
