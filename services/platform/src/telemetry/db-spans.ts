// Spans of PostgreSQL work: a transaction, and each statement in it or on the
// pool. Only inside a span already (a request, an event, a saga step): the
// relay's and the sweeper's polls every second would otherwise start a new
// trace each time and bury the ones worth reading. The statement text is the
// parameterised SQL; parameter values never go into a span.
import { SpanKind, trace, type Attributes } from "@opentelemetry/api";
import { ATTR_DB_NAMESPACE, ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME } from "@opentelemetry/semantic-conventions";
import { inSpan } from "./spans.ts";

export function dbAttributes(database: string): Attributes {
  return { [ATTR_DB_SYSTEM_NAME]: "postgresql", [ATTR_DB_NAMESPACE]: database };
}

/** Runs `work` in a span when one is active, else just runs it. */
export function inDbSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  if (!trace.getActiveSpan()?.isRecording()) return work();
  return inSpan(name, { kind: SpanKind.CLIENT, attributes }, () => work());
}

/** A statement's span: named by its operation and table ("SELECT orders"), with the SQL text. */
export function queryAttributes(base: Attributes, text: string): { name: string; attributes: Attributes } {
  const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? "SQL";
  const table = /\b(?:FROM|INTO|UPDATE|JOIN)\s+([a-z_][a-z0-9_.]*)/i.exec(text)?.[1];
  return {
    name: table ? `${operation} ${table}` : operation,
    attributes: { ...base, [ATTR_DB_OPERATION_NAME]: operation, [ATTR_DB_QUERY_TEXT]: text.replace(/\s+/g, " ").trim() },
  };
}
