// Per-request context carried through async calls (AsyncLocalStorage): the
// request id and the caller's deadline. Logs read it and outgoing calls
// forward it. The trace context is OpenTelemetry's own (telemetry/).
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

export interface RequestContext {
  readonly requestId: string;
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

export function newRequestId(): string {
  return randomUUID();
}

/** Milliseconds left before the current deadline, or undefined without one. */
export function remainingMs(now = Date.now()): number | undefined {
  const deadline = currentContext()?.deadline;
  return deadline === undefined ? undefined : deadline - now;
}
