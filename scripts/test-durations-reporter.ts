// A node:test reporter that prints where the time went: the slowest test
// files, by the summed duration of their top-level tests, once all have run.
// `make test` uses it beside the spec reporter.
import path from "node:path";

interface TestEvent {
  type: string;
  data: { nesting?: number; file?: string; details?: { duration_ms?: number } };
}

export default async function* durations(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const byFile = new Map<string, number>();
  for await (const event of source) {
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0 && event.data.file) {
      const file = path.relative(process.cwd(), event.data.file);
      byFile.set(file, (byFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  const total = [...byFile.values()].reduce((a, b) => a + b, 0);
  const rows = [...byFile].sort((a, b) => b[1] - a[1]);
  yield `\n[test] where the time went: ${rows.length} files, ${(total / 1000).toFixed(0)} s of tests; the slowest:\n`;
  for (const [file, ms] of rows.slice(0, 15)) yield `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`;
}
