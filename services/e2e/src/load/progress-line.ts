// Live progress of a load run: on a terminal one line rewritten in place every
// second; otherwise (a log, CI) a plain line every few seconds.
import type { LoadProgress } from "./open-loop.ts";

export function formatProgress(p: LoadProgress): string {
  const ms = (v: number) => (Number.isNaN(v) ? "-" : v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(0)}ms`);
  return (
    `${(p.elapsedMs / 1000).toFixed(0).padStart(4)}s  sent ${p.sent} (${p.sentPerSecond.toFixed(0)}/s)  ok ${p.ok}  refused ${p.refused}  errors ${p.errors}` +
    `  in flight ${p.inFlight}${p.dropped ? `  dropped ${p.dropped}` : ""}  p50 ${ms(p.p50)}  p99 ${ms(p.p99)}`
  );
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stdout, plainEveryMs = 5_000): { print(p: LoadProgress): void; end(): void } {
  const tty = stream.isTTY ?? false;
  let lastPlain = -Infinity;
  return {
    print(p) {
      if (tty) stream.write(`\r\x1b[2K${formatProgress(p)}`);
      else if (p.elapsedMs - lastPlain >= plainEveryMs) {
        lastPlain = p.elapsedMs;
        stream.write(`${formatProgress(p)}\n`);
      }
    },
    end() {
      if (tty) stream.write("\n");
    },
  };
}
