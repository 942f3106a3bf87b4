// JSON-lines logs (pino) that carry the service name and, inside a request or
// event handler, its request id and the active span's trace_id and span_id.
import { pino, type DestinationStream, type Logger, type LevelWithSilent, type LoggerOptions } from "pino";
import { currentContext } from "./request-context.ts";
import { activeTraceIds } from "./telemetry/trace-context.ts";

export type { Logger };

/** Logs to stdout, or to `destination` (tests that read the lines). */
export function createLogger(service: string, level: LevelWithSilent = "info", destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const requestId = currentContext()?.requestId;
      const ids = activeTraceIds();
      return { ...(requestId ? { requestId } : {}), ...(ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {}) };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
