// Rate-limited log lines for what clients can trigger at will (protocol
// errors, refused connections, failed RPCs): the first line of each kind is
// written, then at most one per interval, carrying how many were held back,
// so that a flood of bad requests cannot flood the logs.
import type { Level } from "pino";
import type { Logger } from "./logger.ts";

export class LogLimiter {
  private readonly kinds = new Map<string, { lastMs: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Logs `msg` unless a line of the same `kind` was logged less than an
   * interval ago. `kind` must come from a small fixed set (never from request
   * data): one entry per kind is kept.
   */
  log(level: Level, kind: string, fields: Record<string, unknown>, msg: string): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const now = this.now();
    const entry = this.kinds.get(kind);
    if (entry && now - entry.lastMs < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.kinds.set(kind, { lastMs: now, suppressed: 0 });
    this.logger[level]({ kind, ...fields, ...(suppressed > 0 ? { suppressedSinceLast: suppressed } : {}) }, msg);
  }
}
