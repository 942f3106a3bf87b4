// JSON-lines logs (pino) that carry the service name and, inside a request or
// event handler, its request id and trace id.
import { pino, type Logger, type LevelWithSilent } from "pino";
import { currentContext } from "./request-context.ts";

export type { Logger };

export function createLogger(service: string, level: LevelWithSilent = "info"): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const context = currentContext();
      return context ? { requestId: context.requestId, traceId: context.trace.traceId } : {};
    },
  });
}
