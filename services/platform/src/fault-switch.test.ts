// The fault switch: its specification language, and which calls it fails or
// stalls (with a seeded random source, so fractions are exact).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { FaultSwitch, parseFaults } from "./fault-switch.ts";

describe("parseFaults", () => {
  it("reads methods, qualified methods and events, with fractions defaulting to 1", () => {
    assert.deepEqual(
      parseFaults(" ListProducts=stall:1500, meshmart.orders.v1.OrderService/PlaceOrder=fail:unavailable@0.3,event:PaymentRequested=fail:deadline_exceeded@0 "),
      [
        { target: "ListProducts", action: { kind: "stall", ms: 1500 }, fraction: 1 },
        { target: "meshmart.orders.v1.OrderService/PlaceOrder", action: { kind: "fail", code: Code.Unavailable }, fraction: 0.3 },
        { target: "event:PaymentRequested", action: { kind: "fail", code: Code.DeadlineExceeded }, fraction: 0 },
      ],
    );
    assert.deepEqual(parseFaults(""), []);
  });

  it("names the rule that is wrong and why", () => {
    assert.throws(() => parseFaults("ListProducts"), /fault rule "ListProducts" is not <target>=fail:<code>\|stall:<ms>\|crash\[@fraction\]/);
    assert.throws(() => parseFaults("A=crash:now"), /is not <target>/);
    assert.throws(() => parseFaults("A=fail:teapot"), /fault rule "A=fail:teapot": unknown code "teapot"/);
    assert.throws(() => parseFaults("A=fail:internal@1.5"), /fraction must be between 0 and 1/);
    assert.throws(() => parseFaults("A=stall:soon"), /stall needs milliseconds/);
  });
});

describe("the test-only crash points", () => {
  it("parses crash rules for the relay and the consumer's commit", () => {
    assert.deepEqual(parseFaults("relay:after-publish=crash@0.2, committed:PaymentRequested=crash"), [
      { target: "relay:after-publish", action: { kind: "crash" }, fraction: 0.2 },
      { target: "committed:PaymentRequested", action: { kind: "crash" }, fraction: 1 },
    ]);
  });

  it("crashes only at the named point, for its fraction, by type or short type", async () => {
    const crashed: string[] = [];
    let n = 0;
    const draws = [0.1, 0.5];
    const faults = new FaultSwitch(parseFaults("relay:after-publish=crash@0.3, committed:PaymentRequested=crash"), () => draws[n++ % 2]!, (t) => crashed.push(t));
    await faults.afterPublish(); // draw 0.1 < 0.3: crash
    await faults.afterPublish(); // draw 0.5: no crash
    await faults.afterCommit("meshmart.orders.v1.PaymentRequested");
    await faults.afterCommit("meshmart.orders.v1.OrderPlaced");
    await faults.beforeEvent("meshmart.orders.v1.PaymentRequested"); // a crash point is not the handler's fault target
    assert.deepEqual(crashed, ["relay:after-publish", "committed:PaymentRequested"]);
  });
});

describe("FaultSwitch", () => {
  it("fails the matching target with the configured code, and only that one", async () => {
    const faults = new FaultSwitch(parseFaults("PlaceOrder=fail:resource_exhausted"));
    await assert.rejects(faults.inject(["PlaceOrder"]), (err: unknown) => err instanceof ConnectError && err.code === Code.ResourceExhausted);
    await faults.inject(["GetOrder"]);
  });

  it("applies a rule to the given fraction of calls", async () => {
    let n = 0;
    const sequence = [0.1, 0.29, 0.3, 0.9];
    const faults = new FaultSwitch(parseFaults("A=fail:internal@0.3"), () => sequence[n++ % sequence.length]!);
    const outcomes: boolean[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await faults.inject(["A"]).then(() => false, () => true));
    assert.deepEqual(outcomes, [true, true, false, false]);
  });

  it("stalls for the configured time, and stops stalling when the call is aborted", async () => {
    const faults = new FaultSwitch(parseFaults("A=stall:200"));
    let started = performance.now();
    await faults.inject(["A"]);
    assert.ok(performance.now() - started >= 190, "stalled");
    const long = new FaultSwitch(parseFaults("A=stall:60000"));
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    started = performance.now();
    await long.inject(["A"], abort.signal);
    assert.ok(performance.now() - started < 30_000, "released by the abort, not after the stall");
  });

  it("matches events by full or short type, and can be replaced at run time", async () => {
    const faults = new FaultSwitch(parseFaults("event:PaymentRequested=fail:unavailable"));
    await assert.rejects(faults.beforeEvent("meshmart.payments.v1.PaymentRequested"));
    await faults.beforeEvent("meshmart.orders.v1.OrderPlaced");
    faults.replace([]);
    assert.deepEqual(faults.active, []);
    await faults.beforeEvent("meshmart.payments.v1.PaymentRequested");
  });
});
