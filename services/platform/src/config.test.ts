// Settings from the environment: defaults, bounds, and errors that name the
// variable and quote the bad value.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bool, ConfigError, fraction, int, list, loadConfig, oneOf, port, setting, str } from "./config.ts";

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a ConfigError");
}

describe("config", () => {
  it("reads each kind of setting and applies defaults for unset or empty variables", () => {
    const spec = {
      NAME: str("catalog"),
      PORT: port(8080),
      WORKERS: int({ default: 2, min: 1, max: 8 }),
      VERBOSE: bool(false),
      SAMPLE: fraction(0.1),
      MODE: oneOf(["a", "b"] as const, "a"),
      BROKERS: list([]),
    };
    assert.deepEqual(loadConfig(spec, { PORT: "", VERBOSE: "yes", BROKERS: " k1:9092, ,k2:9092 " }), {
      NAME: "catalog",
      PORT: 8080,
      WORKERS: 2,
      VERBOSE: true,
      SAMPLE: 0.1,
      MODE: "a",
      BROKERS: ["k1:9092", "k2:9092"],
    });
    assert.deepEqual(loadConfig(spec, { NAME: "x", PORT: "0", WORKERS: "8", VERBOSE: "OFF", SAMPLE: "1", MODE: "b" }), {
      NAME: "x",
      PORT: 0,
      WORKERS: 8,
      VERBOSE: false,
      SAMPLE: 1,
      MODE: "b",
      BROKERS: [],
    });
  });

  it("computes a function default only when the variable is unset", () => {
    let calls = 0;
    const spec = { ID: setting((raw) => raw, () => `id-${++calls}`) };
    assert.equal(loadConfig(spec, { ID: "given" }).ID, "given");
    assert.equal(calls, 0);
    assert.equal(loadConfig(spec, {}).ID, "id-1");
  });

  it("names a required variable that is missing", () => {
    const err = errorOf(() => loadConfig({ DATABASE_URL: str() }, {}));
    assert.equal(err.variable, "DATABASE_URL");
    assert.equal(err.message, "config: DATABASE_URL is required but not set");
  });

  it("refuses values out of shape, naming the variable, the rule and the value", () => {
    const cases: Array<[Record<string, ReturnType<typeof str> | ReturnType<typeof int>>, Record<string, string>, RegExp]> = [
      [{ PORT: port(8080) }, { PORT: "70000" }, /^config: PORT must be an integer between 0 and 65535 \(got "70000"\)$/],
      [{ PORT: port(8080) }, { PORT: "80.5" }, /PORT must be an integer/],
      [{ PORT: port(8080) }, { PORT: "0x50" }, /PORT must be an integer/],
      [{ N: int({ min: 1 }) }, { N: "0" }, /N must be an integer between 1 and/],
    ];
    for (const [spec, env, message] of cases) assert.match(errorOf(() => loadConfig(spec, env)).message, message);
    assert.match(errorOf(() => loadConfig({ B: bool() }, { B: "maybe" })).message, /B must be true or false \(got "maybe"\)/);
    assert.match(errorOf(() => loadConfig({ F: fraction() }, { F: "1.5" })).message, /F must be a number between 0 and 1/);
    assert.match(errorOf(() => loadConfig({ F: fraction() }, { F: "NaN" })).message, /F must be a number between 0 and 1/);
    assert.match(errorOf(() => loadConfig({ M: oneOf(["a", "b"]) }, { M: "c" })).message, /M must be one of a, b \(got "c"\)/);
  });
});
