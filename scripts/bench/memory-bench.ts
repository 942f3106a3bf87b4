// Idle resident memory of every service, run as deployed (its pre-built
// bundle) and, as the baseline, through the tsx loader on its TypeScript:
// alternating stacks (tsx, bundle, tsx, bundle, ...) of the whole platform,
// each read a few seconds after all are ready and nothing is asked of them.
// A service's figure is the highest of its rounds.
import { readFileSync } from "node:fs";
import { serviceNames } from "@meshmart/topology";
import { startTestStack } from "@meshmart/e2e/test-stack";

export interface MemoryBenchOptions {
  brokers: string[];
  portBase: number;
  rounds: number;
  settleMs: number;
  log: (line: string) => void;
}

export interface MemoryResults {
  rounds: number;
  settleMs: number;
  /** Highest idle RSS per service over the rounds, MB. */
  bundleMb: Record<string, number>;
  tsxMb: Record<string, number>;
}

export function rssMb(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024);
  } catch {
    return Number.NaN;
  }
}

export async function runMemoryBench(options: MemoryBenchOptions): Promise<MemoryResults> {
  const highest = { bundle: {} as Record<string, number>, tsx: {} as Record<string, number> };
  for (let round = 1; round <= options.rounds; round++) {
    for (const runtime of ["tsx", "bundle"] as const) {
      const stack = await startTestStack({ brokers: options.brokers, portBase: options.portBase, runtime, env: { LOG_LEVEL: "info", OUTBOX_POLL_MS: "250" } });
      try {
        await new Promise((resolve) => setTimeout(resolve, options.settleMs));
        const mb = Object.fromEntries(serviceNames.map((name) => [name, rssMb(stack.processes.pid(name))]));
        for (const [name, value] of Object.entries(mb)) highest[runtime][name] = Math.max(highest[runtime][name] ?? 0, value);
        options.log(`  round ${round}, ${runtime}: RSS ${JSON.stringify(mb)} MB`);
      } finally {
        await stack.stop();
      }
    }
  }
  return { rounds: options.rounds, settleMs: options.settleMs, bundleMb: highest.bundle, tsxMb: highest.tsx };
}
