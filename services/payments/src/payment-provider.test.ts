// The simulated provider on its own: the decline rate means what it says, the
// outcome is a function of the order, the limit rule and latency apply.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { DeclineReason } from "@meshmart/proto/payments/v1/payments_pb";
import { FaultSwitch, parseFaults } from "@meshmart/platform";
import { createSimulatedProvider, withFaultSwitch } from "./payment-provider.ts";

const charge = (orderId = randomUUID(), amountMinor = 1000n) => ({ orderId, currencyCode: "EUR", amountMinor });

async function declinedFraction(declineRate: number, n: number, seed = ""): Promise<number> {
  const provider = createSimulatedProvider({ declineRate, latencyMs: 0, seed });
  let declined = 0;
  for (let i = 0; i < n; i++) if (!(await provider.charge(charge())).approved) declined++;
  return declined / n;
}

describe("simulated payment provider", () => {
  it("never declines at rate 0 and always declines at rate 1", async () => {
    assert.equal(await declinedFraction(0, 500), 0);
    assert.equal(await declinedFraction(1, 500), 1);
  });

  it("declines about the configured fraction of random orders", async () => {
    const fraction = await declinedFraction(0.3, 4000);
    assert.ok(Math.abs(fraction - 0.3) < 0.04, `declined ${fraction}`);
  });

  it("gives the same answer for the same order, and another seed picks other orders", async () => {
    const a = createSimulatedProvider({ declineRate: 0.5, latencyMs: 0, seed: "a" });
    const b = createSimulatedProvider({ declineRate: 0.5, latencyMs: 0, seed: "b" });
    let differ = 0;
    for (let i = 0; i < 100; i++) {
      const order = charge();
      const first = await a.charge(order);
      const again = await a.charge(order);
      assert.equal(first.approved, again.approved);
      if (!first.approved && !again.approved) assert.equal(first.reason, again.reason);
      if (first.approved !== (await b.charge(order)).approved) differ++;
    }
    assert.ok(differ > 20, `seeds a and b disagree on ${differ} of 100 orders`);
  });

  it("declines with a real reason and a message", async () => {
    const provider = createSimulatedProvider({ declineRate: 1, latencyMs: 0 });
    const reasons = new Set<DeclineReason>();
    for (let i = 0; i < 200; i++) {
      const result = await provider.charge(charge());
      assert.equal(result.approved, false);
      if (!result.approved) {
        reasons.add(result.reason);
        assert.ok(result.message);
      }
    }
    assert.deepEqual([...reasons].sort(), [DeclineReason.INSUFFICIENT_FUNDS, DeclineReason.FRAUD_SUSPECTED].sort());
  });

  it("declines amounts above the limit with LIMIT_EXCEEDED", async () => {
    const provider = createSimulatedProvider({ declineRate: 0, latencyMs: 0, limitMinor: 5000n });
    const over = await provider.charge(charge(randomUUID(), 5001n));
    assert.equal(over.approved, false);
    assert.equal(!over.approved && over.reason, DeclineReason.LIMIT_EXCEEDED);
    const at = await provider.charge(charge(randomUUID(), 5000n));
    assert.equal(at.approved, true);
    assert.match(at.approved ? at.reference : "", /^ch_/);
  });

  it("stalls every call by the configured latency", async () => {
    const provider = createSimulatedProvider({ declineRate: 0, latencyMs: 40 });
    const started = performance.now();
    await provider.charge(charge());
    await provider.refund("ch_x", 1000n);
    assert.ok(performance.now() - started >= 75, "two calls of 40 ms");
  });
});

describe("the provider behind the fault switch", () => {
  it("stalls charges on provider:charge and fails refunds on provider:refund, as the rules say", async () => {
    const faults = new FaultSwitch();
    const provider = withFaultSwitch(createSimulatedProvider({ declineRate: 0, latencyMs: 0 }), faults);
    assert.equal((await provider.charge(charge())).approved, true);
    faults.replace(parseFaults("provider:charge=stall:150, provider:refund=fail:unavailable"));
    const started = performance.now();
    assert.equal((await provider.charge(charge())).approved, true);
    assert.ok(performance.now() - started >= 140, "the charge was stalled");
    await assert.rejects(provider.refund("ch_1", 1000n), /injected fault on provider:refund/);
  });
});
