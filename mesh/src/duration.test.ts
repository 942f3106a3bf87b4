import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { milliseconds, seconds } from "./duration.ts";

describe("seconds", () => {
  it("writes whole and fractional seconds", () => {
    assert.equal(seconds(3000), "3s");
    assert.equal(seconds(1500), "1.5s");
    assert.equal(seconds(1666), "1.666s");
    assert.equal(seconds(1), "0.001s");
  });

  it("refuses zero, negative and fractional milliseconds", () => {
    assert.throws(() => seconds(0));
    assert.throws(() => seconds(-5));
    assert.throws(() => seconds(1.5));
  });

  it("round-trips through milliseconds()", () => {
    for (const ms of [1, 250, 1000, 1666, 30_000]) assert.equal(milliseconds(seconds(ms)), ms);
    assert.equal(milliseconds("250ms"), 250);
    assert.throws(() => milliseconds("5m"));
  });
});
