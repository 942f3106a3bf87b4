// Liveness and readiness. /healthz answers while the process can serve at all;
// /readyz answers 200 only when every dependency check passes and the service
// is not draining, so Kubernetes stops routing to it before it shuts down.
export type ReadinessCheck = () => Promise<void>;

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  /** "ok", or why the check failed. */
  checks: Record<string, string>;
}

export class Health {
  private readonly checks = new Map<string, ReadinessCheck>();
  private isDraining = false;

  constructor(private readonly checkTimeoutMs = 2_000) {}

  addCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  startDraining(): void {
    this.isDraining = true;
  }

  get draining(): boolean {
    return this.isDraining;
  }

  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), this.checkTimeoutMs);
          return [name, "ok"] as const;
        } catch (err) {
          return [name, (err as Error).message || "failed"] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ready = !this.isDraining && entries.every(([, state]) => state === "ok");
    return { ready, draining: this.isDraining, checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
