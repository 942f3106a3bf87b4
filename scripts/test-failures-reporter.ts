// A node:test reporter that keeps every failed test's name, file and error in
// the file named by MESHMART_TEST_FAILURES_FILE (one JSON object a line).
// `make test` prints them again as the very last lines of its output, after
// the time table: CI keeps only the tail of a run, and the spec reporter's
// own summary of failures is far above it. A suite that failed only because
// a test inside it did is left out (that test is there).
import { appendFileSync } from "node:fs";
import path from "node:path";

interface FailEvent {
  type: string;
  data: { name: string; nesting: number; file?: string; details?: { error?: TestError } };
}
interface TestError extends Error {
  failureType?: string;
  cause?: unknown;
}

export interface RecordedFailure {
  file: string;
  name: string;
  failureType: string;
  message: string;
}

/** The first lines of what went wrong: the cause's message, then the first stack frame in our code. */
function describeError(error: TestError | undefined): string {
  if (!error) return "(no error recorded)";
  const cause: Error = error.cause instanceof Error ? error.cause : error;
  const message = (cause.message || (typeof error.cause === "string" ? error.cause : error.name)).split("\n").slice(0, 6).join("\n");
  const frame = (cause.stack ?? "").split("\n").find((l) => l.includes(process.cwd()) && !l.includes("node_modules"));
  return frame ? `${message}\n${frame.trim().replace(`${process.cwd()}/`, "")}` : message;
}

export default async function* failures(source: AsyncIterable<FailEvent>): AsyncGenerator<string> {
  const target = process.env.MESHMART_TEST_FAILURES_FILE;
  for await (const event of source) {
    if (event.type !== "test:fail" || !target) continue;
    const error = event.data.details?.error;
    if (error?.failureType === "subtestsFailed") continue;
    const record: RecordedFailure = {
      file: event.data.file ? path.relative(process.cwd(), event.data.file) : "",
      name: event.data.name,
      failureType: error?.failureType ?? "",
      message: describeError(error),
    };
    appendFileSync(target, `${JSON.stringify(record)}\n`);
  }
  yield "";
}
