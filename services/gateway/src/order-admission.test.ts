// Admission control's decisions, over readings of orders' saga load given by a
// stand-in for its GetSagaLoad (a pure unit: no service behind it).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { GetSagaLoadResponseSchema, type OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { Registry } from "prom-client";
import { OrderAdmission, type AdmissionSettings } from "./order-admission.ts";

function admission(load: { pending: number; decidedPerSecond: number } | "down", settings: Partial<AdmissionSettings> = {}) {
  let calls = 0;
  const orders = {
    getSagaLoad: () => {
      calls++;
      return load === "down" ? Promise.reject(new Error("unavailable")) : Promise.resolve(create(GetSagaLoadResponseSchema, load));
    },
  } as unknown as Client<typeof OrderService>;
  const control = new OrderAdmission(orders, { targetSagaMs: 1_000, minPending: 10, maxInFlight: 100, pollMs: 50, ...settings }, new Registry());
  return { control, calls: () => calls };
}

/** Asks once so that a reading is taken, then waits for it. */
async function primed(load: { pending: number; decidedPerSecond: number }, settings: Partial<AdmissionSettings> = {}) {
  const a = admission(load, settings);
  const first = a.control.admit();
  if (first.admitted) first.done();
  await sleep(5);
  return a;
}

describe("order admission", () => {
  it("admits while the sagas pending finish within the target at the rate they are decided", async () => {
    const { control } = await primed({ pending: 30, decidedPerSecond: 50 });
    assert.equal(control.admit().admitted, true); // 30 (+ 1 admitted before) < 50/s x 1 s
  });

  it("refuses with Retry-After once pending reaches decided/s x target, counting what it admitted since the reading", async () => {
    const { control } = await primed({ pending: 45, decidedPerSecond: 50 });
    const admitted = [];
    for (let i = 0; i < 10; i++) admitted.push(control.admit());
    const refused = admitted.filter((a) => !a.admitted);
    assert.ok(refused.length >= 5, `refused ${refused.length} of 10`);
    const first = refused[0]!;
    assert.ok(!first.admitted && first.retryAfterSeconds >= 1 && /at capacity/.test(first.reason));
  });

  it("always admits up to the floor, however slowly sagas are decided", async () => {
    const { control } = await primed({ pending: 3, decidedPerSecond: 0 });
    assert.equal(control.admit().admitted, true);
    const { control: full } = await primed({ pending: 10, decidedPerSecond: 0 });
    assert.equal(full.admit().admitted, false);
  });

  it("caps the PlaceOrder calls in flight, and frees a place when one answers", () => {
    const { control } = admission({ pending: 0, decidedPerSecond: 1000 }, { maxInFlight: 2, targetSagaMs: 0 });
    const a = control.admit();
    const b = control.admit();
    assert.equal(control.admit().admitted, false);
    assert.ok(a.admitted && b.admitted);
    a.done();
    a.done(); // twice is once
    assert.equal(control.admit().admitted, true);
    assert.equal(control.admit().admitted, false);
  });

  it("admits when orders cannot be read (PlaceOrder then fails with its own error)", async () => {
    const { control, calls } = admission("down", { minPending: 1 });
    for (let i = 0; i < 5; i++) {
      const a = control.admit();
      assert.equal(a.admitted, true);
      if (a.admitted) a.done();
      await sleep(2);
    }
    assert.ok(calls() >= 1);
  });

  it("reads orders' load at most once per poll interval", async () => {
    const { control, calls } = admission({ pending: 0, decidedPerSecond: 100 }, { pollMs: 10_000 });
    for (let i = 0; i < 20; i++) {
      const a = control.admit();
      if (a.admitted) a.done();
      await sleep(1);
    }
    assert.equal(calls(), 1);
  });
});
