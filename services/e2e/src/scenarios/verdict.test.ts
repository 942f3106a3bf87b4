import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InvariantResult } from "../invariants.ts";
import { confirmed, decideVerdict, exitCode, formatTable, notConfirmed, type ScenarioOutcome } from "./verdict.ts";

const pass = (name: string): InvariantResult => ({ name, pass: true, offenders: [], summary: "ok" });
const fail = (name: string, offenders: string[]): InvariantResult => ({ name, pass: false, offenders, summary: "broken" });
const allHold = { rest: true, results: [pass("orders"), pass("stock"), pass("payments"), pass("notifications"), pass("events")] };

describe("decideVerdict", () => {
  it("passes only a confirmed fault with every check holding", () => {
    const verdict = decideVerdict({ injection: [confirmed("inventory killed")], checks: allHold, clientChecks: [pass("client")] });
    assert.equal(verdict.kind, "PASS");
    assert.deepEqual(verdict.reasons, ["inventory killed"]);
  });

  it("says NOT-INJECTED, with why, when the fault was not confirmed, even though every invariant holds", () => {
    const verdict = decideVerdict({
      injection: [confirmed("rule accepted"), notConfirmed("no accepted order was cancelled by its saga deadline")],
      checks: allHold,
      clientChecks: [pass("client")],
    });
    assert.equal(verdict.kind, "NOT-INJECTED");
    assert.match(verdict.reasons.join("\n"), /no accepted order was cancelled by its saga deadline/);
  });

  it("says NOT-INJECTED when nothing was injected at all (an error before the fault)", () => {
    const verdict = decideVerdict({ injection: [], clientChecks: [], error: "the gateway does not answer" });
    assert.equal(verdict.kind, "NOT-INJECTED");
    assert.match(verdict.reasons[0]!, /no fault was injected: the gateway does not answer/);
  });

  it("fails with the failing invariants and the offending ids", () => {
    const outcome: ScenarioOutcome = {
      injection: [confirmed("broker stopped")],
      checks: {
        rest: true,
        results: [pass("orders"), fail("stock: conserved", ["p-1: 1 still reserved at rest"]), fail("payments", ["o-7: 2 payments", "o-9: 2 payments"])],
      },
      clientChecks: [pass("client")],
    };
    const verdict = decideVerdict(outcome);
    assert.equal(verdict.kind, "FAIL");
    assert.deepEqual(
      verdict.failures.map((f) => [f.name, f.offenders]),
      [
        ["stock: conserved", ["p-1: 1 still reserved at rest"]],
        ["payments", ["o-7: 2 payments", "o-9: 2 payments"]],
      ],
    );
  });

  it("fails a broken invariant even when the fault was not confirmed (a finding is a finding)", () => {
    const verdict = decideVerdict({ injection: [notConfirmed("pod still listed")], checks: { rest: true, results: [fail("orders", ["o-1: accepted, found 0 times"])] }, clientChecks: [] });
    assert.equal(verdict.kind, "FAIL");
    assert.match(verdict.reasons.join("\n"), /fault not confirmed: pod still listed/);
    assert.deepEqual(verdict.failures[0]!.offenders, ["o-1: accepted, found 0 times"]);
  });

  it("fails when the system never came to rest, and on a failing client check", () => {
    assert.equal(decideVerdict({ injection: [confirmed("x")], checks: { ...allHold, rest: false }, clientChecks: [] }).kind, "FAIL");
    const client = decideVerdict({ injection: [confirmed("x")], checks: allHold, clientChecks: [fail("client: answers", ["k-1: 500 during during"])] });
    assert.equal(client.kind, "FAIL");
    assert.deepEqual(client.failures[0]!.offenders, ["k-1: 500 during during"]);
  });

  it("fails a confirmed fault that was not healed, or whose invariants could not be checked", () => {
    assert.equal(decideVerdict({ injection: [confirmed("x")], checks: allHold, clientChecks: [], error: "the fault was not healed: kafka not ready" }).kind, "FAIL");
    assert.equal(decideVerdict({ injection: [confirmed("x")], clientChecks: [], error: "verify: connection refused" }).kind, "FAIL");
    assert.equal(decideVerdict({ injection: [confirmed("x")], clientChecks: [] }).kind, "FAIL");
  });
});

describe("exitCode and formatTable", () => {
  it("is non-zero on any FAIL or NOT-INJECTED, zero for passes and dry runs", () => {
    assert.equal(exitCode(["PASS", "PASS"]), 0);
    assert.equal(exitCode(["DRY-RUN"]), 0);
    assert.equal(exitCode(["PASS", "NOT-INJECTED"]), 1);
    assert.equal(exitCode(["FAIL", "PASS"]), 1);
  });

  it("prints one aligned row per scenario", () => {
    const table = formatTable([
      { scenario: "service-kill", target: "local", verdict: "PASS", seconds: 44.21, accepted: 109, detail: "inventory killed" },
      { scenario: "payment-stall", target: "local", verdict: "NOT-INJECTED", seconds: 3, accepted: 0, detail: "why" },
    ]);
    const lines = table.split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^scenario\s+target\s+verdict\s+time\s+accepted\s+detail$/);
    assert.match(lines[2]!, /^service-kill\s+local\s+PASS\s+44\.2s\s+109\s+inventory killed$/);
    assert.equal(lines[2]!.indexOf("PASS"), lines[3]!.indexOf("NOT-INJECTED"), "columns align");
  });
});
