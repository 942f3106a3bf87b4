import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { simulatedDraw } from "./simulated-draw.ts";

describe("simulatedDraw", () => {
  it("is fixed by stream, seed and key, and in [0, 1)", () => {
    const key = randomUUID();
    assert.equal(simulatedDraw("carrier", "s", key), simulatedDraw("carrier", "s", key));
    for (let i = 0; i < 200; i++) {
      const draw = simulatedDraw("carrier", "", randomUUID());
      assert.ok(draw >= 0 && draw < 1, String(draw));
    }
  });

  it("keeps the payment provider's draws (stream \"\") as they were", () => {
    assert.equal(simulatedDraw("", "s", "00000000-0000-0000-0000-000000000000"), 0.18932472519406573);
    assert.equal(simulatedDraw("", "", "7f3c1a52-0d44-4c1e-9a57-1c2b3d4e5f60"), 0.05697679577753334);
  });

  it("draws independently per stream: a rate hits other orders in another stream", () => {
    const keys = Array.from({ length: 2000 }, () => randomUUID());
    const hit = (stream: string) => new Set(keys.filter((key) => simulatedDraw(stream, "", key) < 0.3));
    const provider = hit("");
    const carrier = hit("carrier");
    const both = [...carrier].filter((key) => provider.has(key)).length;
    // Independent: about 0.3 × 0.3 = 9 % of the keys in both (not 30 %, as one shared draw would give).
    assert.ok(both > 0.05 * keys.length && both < 0.13 * keys.length, `${both} of ${keys.length} hit by both`);
  });
});
