// The rate-limited log: the first line of a kind is written, the next ones
// within the interval are counted and reported with the following line.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LogLimiter } from "./log-limiter.ts";
import { createLogger } from "./logger.ts";

describe("LogLimiter", () => {
  it("writes one line per kind and interval, then says how many it held back", () => {
    const lines: Array<Record<string, unknown>> = [];
    let now = 0;
    const log = new LogLimiter(createLogger("test", "info", { write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) }), 1_000, () => now);
    for (let i = 0; i < 500; i++) log.log("info", "bad-request", { i }, "refused");
    log.log("info", "other", {}, "another kind is not held back");
    now = 1_500;
    log.log("info", "bad-request", { i: 500 }, "refused");
    assert.deepEqual(
      lines.map((line) => [line.kind, line.i, line.suppressedSinceLast]),
      [
        ["bad-request", 0, undefined],
        ["other", undefined, undefined],
        ["bad-request", 500, 499],
      ],
    );
  });

  it("writes nothing below the logger's level", () => {
    const lines: string[] = [];
    const log = new LogLimiter(createLogger("test", "warn", { write: (line) => void lines.push(line) }));
    log.log("info", "quiet", {}, "not written");
    assert.deepEqual(lines, []);
  });
});
