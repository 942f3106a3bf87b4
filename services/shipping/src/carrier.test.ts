// The simulated carrier on its own: the failure rate means what it says, the
// outcome is a function of the order, latency and the fault switch apply.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { ShipmentFailureReason } from "@meshmart/proto/shipping/v1/shipping_pb";
import { FaultSwitch, parseFaults } from "@meshmart/platform";
import { createSimulatedCarrier, withFaultSwitch } from "./carrier.ts";

const booking = (orderId = randomUUID(), itemCount = 3) => ({ orderId, itemCount });

async function failedFraction(failureRate: number, n: number, seed = ""): Promise<number> {
  const carrier = createSimulatedCarrier({ failureRate, latencyMs: 0, seed });
  let failed = 0;
  for (let i = 0; i < n; i++) if (!(await carrier.book(booking())).booked) failed++;
  return failed / n;
}

describe("simulated carrier", () => {
  it("never refuses at rate 0 and always refuses at rate 1", async () => {
    assert.equal(await failedFraction(0, 500), 0);
    assert.equal(await failedFraction(1, 500), 1);
  });

  it("refuses about the configured fraction of random orders", async () => {
    const fraction = await failedFraction(0.3, 4000);
    assert.ok(Math.abs(fraction - 0.3) < 0.04, `refused ${fraction}`);
  });

  it("gives the same answer for the same order, and another seed picks other orders", async () => {
    const a = createSimulatedCarrier({ failureRate: 0.5, latencyMs: 0, seed: "a" });
    const b = createSimulatedCarrier({ failureRate: 0.5, latencyMs: 0, seed: "b" });
    let differ = 0;
    for (let i = 0; i < 100; i++) {
      const order = booking();
      const first = await a.book(order);
      const again = await a.book(order);
      assert.equal(first.booked, again.booked);
      if (!first.booked && !again.booked) assert.equal(first.reason, again.reason);
      if (first.booked !== (await b.book(order)).booked) differ++;
    }
    assert.ok(differ > 20, `seeds a and b disagree on ${differ} of 100 orders`);
  });

  it("refuses with a real reason and a message", async () => {
    const carrier = createSimulatedCarrier({ failureRate: 1, latencyMs: 0 });
    const reasons = new Set<ShipmentFailureReason>();
    for (let i = 0; i < 200; i++) {
      const result = await carrier.book(booking());
      assert.equal(result.booked, false);
      if (!result.booked) {
        reasons.add(result.reason);
        assert.ok(result.message);
      }
    }
    assert.deepEqual([...reasons].sort(), [ShipmentFailureReason.CARRIER_UNAVAILABLE, ShipmentFailureReason.UNSERVICEABLE].sort());
  });

  it("books with the carrier's name and a tracking number of its own per order", async () => {
    const carrier = createSimulatedCarrier({ failureRate: 0, latencyMs: 0 });
    const first = await carrier.book(booking());
    const second = await carrier.book(booking());
    assert.ok(first.booked && second.booked);
    assert.equal(first.carrier, "simulated-post");
    assert.match(first.trackingNumber, /^sp_/);
    assert.notEqual(first.trackingNumber, second.trackingNumber);
  });

  it("stalls every call by the configured latency", async () => {
    const carrier = createSimulatedCarrier({ failureRate: 0, latencyMs: 40 });
    const started = performance.now();
    await carrier.book(booking());
    await carrier.cancel("sp_x");
    assert.ok(performance.now() - started >= 75, "two calls of 40 ms");
  });
});

describe("the carrier behind the fault switch", () => {
  it("stalls bookings on carrier:book and fails cancels on carrier:cancel, as the rules say", async () => {
    const faults = new FaultSwitch();
    const carrier = withFaultSwitch(createSimulatedCarrier({ failureRate: 0, latencyMs: 0 }), faults);
    assert.equal((await carrier.book(booking())).booked, true);
    await carrier.cancel("sp_1");
    faults.replace(parseFaults("carrier:book=stall:150, carrier:cancel=fail:unavailable"));
    const started = performance.now();
    assert.equal((await carrier.book(booking())).booked, true);
    assert.ok(performance.now() - started >= 140, "the booking was stalled");
    await assert.rejects(carrier.cancel("sp_1"), /injected fault on carrier:cancel/);
  });
});
