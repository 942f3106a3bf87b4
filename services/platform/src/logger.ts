// JSON-lines logs (pino) that carry the service name and, inside a request or
// event handler, its request id and trace id.
import { pino, type DestinationStream, type Logger, type LevelWithSilent, type LoggerOptions } from "pino";
import { currentContext } from "./request-context.ts";

export type { Logger };

/** Logs to stdout, or to `destination` (tests that read the lines). */
export function createLogger(service: string, level: LevelWithSilent = "info", destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const context = currentContext();
      return context ? { requestId: context.requestId, traceId: context.trace.traceId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
