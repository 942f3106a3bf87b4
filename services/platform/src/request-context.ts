// Per-request context carried through async calls (AsyncLocalStorage): the
// request id, the W3C trace context and the caller's deadline. Logs read it,
// outgoing calls forward it, and events record the trace in their headers.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomFillSync, randomUUID } from "node:crypto";

export interface TraceContext {
  /** 32 lowercase hex characters. */
  readonly traceId: string;
  /** 16 lowercase hex characters: the span of the current unit of work. */
  readonly spanId: string;
  readonly sampled: boolean;
}

export interface RequestContext {
  readonly requestId: string;
  readonly trace: TraceContext;
  /** Absolute deadline (epoch ms) the caller gave us, if any. */
  readonly deadline?: number;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a W3C traceparent header; undefined when absent or malformed. */
export function parseTraceparent(header: string | null | undefined): TraceContext | undefined {
  const match = header ? traceparentPattern.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.sampled ? "01" : "00"}`;
}

// Ids come from a pool of random bytes refilled 4 KiB at a time: one system call per few hundred
// ids instead of one (or two) per request.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A child span of `parent` (same trace, new span id), or a new root trace. */
export function childTrace(parent?: TraceContext): TraceContext {
  const spanId = randomHex(8);
  if (parent) return { traceId: parent.traceId, spanId, sampled: parent.sampled };
  return { traceId: randomHex(16), spanId, sampled: true };
}

export function newRequestId(): string {
  return randomUUID();
}

/** Milliseconds left before the current deadline, or undefined without one. */
export function remainingMs(now = Date.now()): number | undefined {
  const deadline = currentContext()?.deadline;
  return deadline === undefined ? undefined : deadline - now;
}
