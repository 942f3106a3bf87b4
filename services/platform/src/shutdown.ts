// Graceful shutdown: readiness goes false (the endpoints drop the pod),
// long-lived streams are told to end, the port keeps accepting for the drain
// delay (so that a probe sees "not ready" rather than a refused connection),
// in-flight requests finish within the budget, then workers stop in reverse order and the database closes. The
// process exits 0 after SIGTERM when all of it went well.
import type { Database } from "./database.ts";
import type { Health } from "./health.ts";
import type { Logger } from "./logger.ts";
import type { DualProtocolServer } from "./server.ts";
import type { Worker } from "./service-definition.ts";

export interface ShutdownParts {
  readonly logger: Logger;
  readonly health: Health;
  /** Aborted first: long-lived streams end on it. */
  readonly drain: AbortController;
  readonly server: DualProtocolServer;
  readonly timeoutMs: number;
  /** How long the port still accepts once readiness is false (DRAIN_DELAY_MS; default 0). */
  readonly drainDelayMs?: number;
  readonly workers: Worker[];
  readonly db: Database | undefined;
}

/** A stop() that runs the shutdown once, however often it is called. */
export function gracefulShutdown(parts: ShutdownParts): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      const { logger } = parts;
      logger.info("draining: readiness is now false");
      parts.health.startDraining();
      parts.drain.abort();
      if (parts.drainDelayMs) await new Promise((resolve) => setTimeout(resolve, parts.drainDelayMs));
      await parts.server.close(parts.timeoutMs);
      for (const worker of [...parts.workers].reverse()) {
        await worker.stop().catch((err: Error) => logger.error({ err }, "worker did not stop cleanly"));
      }
      await parts.db?.close();
      logger.info("stopped");
    })());
}

/** SIGTERM and SIGINT stop the service, then the process exits (0, or 1 when the shutdown failed). */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "shutdown requested");
      stop().then(
        () => process.exit(0),
        (err: Error) => {
          logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}
