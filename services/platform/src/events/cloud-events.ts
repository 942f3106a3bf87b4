// CloudEvents 1.0 Kafka protocol binding, binary content mode: the event's
// attributes travel as ce_* headers and the Kafka value is the data itself,
// a binary protobuf message (compact, and its field numbers let producers and
// consumers evolve independently; JSON would add size and a second schema).
// W3C trace context travels in the traceparent header, and again as the
// CloudEvents Distributed Tracing extension (ce_traceparent), which is where a
// CloudEvents SDK looks for it. Checked by the official SDK's Kafka binding
// (cloud-events-sdk.test.ts).

export const protobufContentType = "application/protobuf";

export interface CloudEventAttributes {
  id: string;
  /** URI reference of the producer, e.g. /meshmart/catalog. */
  source: string;
  /** Fully-qualified protobuf message name, whose package carries the version. */
  type: string;
  /** RFC 3339 time of the occurrence. */
  time: string;
  /** The aggregate the event is about (its id). */
  subject: string;
  /** Absolute URI naming the protobuf message of the data (dataschemaOf). */
  dataschema?: string;
  traceparent?: string;
}

export function toHeaders(attributes: CloudEventAttributes): Record<string, string> {
  const headers: Record<string, string> = {
    ce_specversion: "1.0",
    ce_id: attributes.id,
    ce_source: attributes.source,
    ce_type: attributes.type,
    ce_time: attributes.time,
    ce_subject: attributes.subject,
    "content-type": protobufContentType,
  };
  if (attributes.dataschema) headers.ce_dataschema = attributes.dataschema;
  if (attributes.traceparent) Object.assign(headers, traceHeadersOf({ traceparent: attributes.traceparent }));
  return headers;
}

/**
 * A message's trace headers: W3C traceparent/tracestate (what OpenTelemetry's
 * propagator reads) and the same values as the CloudEvents Distributed
 * Tracing extension (ce_traceparent/ce_tracestate, what a CloudEvents SDK reads).
 */
export function traceHeadersOf(trace: { traceparent?: string; tracestate?: string }): Record<string, string> {
  const headers: Record<string, string> = {};
  if (trace.traceparent) headers.traceparent = headers.ce_traceparent = trace.traceparent;
  if (trace.tracestate) headers.tracestate = headers.ce_tracestate = trace.tracestate;
  return headers;
}

/** The trace headers of a consumed message, from either form (an SDK's producer may set only the extension). */
export function messageTraceHeaders(headers: Readonly<Record<string, string>>): { traceparent?: string; tracestate?: string } {
  const traceparent = headers.traceparent ?? headers.ce_traceparent;
  const tracestate = headers.tracestate ?? headers.ce_tracestate;
  return { ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) };
}

/** The dataschema of a protobuf message: an absolute URI (CloudEvents requires one) naming the type. */
export function dataschemaOf(typeName: string): string {
  return `urn:proto:${typeName}`;
}

export class MalformedEventError extends Error {
  override name = "MalformedEventError";
}

/** Reads and checks the CloudEvents attributes of a consumed message. */
export function fromHeaders(headers: Record<string, string>): CloudEventAttributes {
  const required = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"] as const;
  for (const name of required) {
    if (!headers[name]) throw new MalformedEventError(`missing CloudEvents header ${name}`);
  }
  if (headers.ce_specversion !== "1.0") {
    throw new MalformedEventError(`unsupported CloudEvents specversion ${headers.ce_specversion}`);
  }
  if (headers["content-type"] && headers["content-type"] !== protobufContentType) {
    throw new MalformedEventError(`unsupported content-type ${headers["content-type"]}`);
  }
  return {
    id: headers.ce_id!,
    source: headers.ce_source!,
    type: headers.ce_type!,
    time: headers.ce_time!,
    subject: headers.ce_subject ?? "",
    dataschema: headers.ce_dataschema,
    traceparent: headers.traceparent ?? headers.ce_traceparent,
  };
}
