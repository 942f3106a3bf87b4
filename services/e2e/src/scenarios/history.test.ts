import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { History } from "./history.ts";

describe("History phases", () => {
  it("counts an operation in flight when the fault was injected as during the fault, not against the baseline", () => {
    let now = 0;
    const history = new History("s", "local", () => now);
    const startedBefore = history.phase();
    assert.equal(history.settledPhase(startedBefore), "before", "answered before the fault: the baseline");
    now = 10;
    history.mark("fault-injected");
    assert.equal(history.settledPhase(startedBefore), "during", "still in flight at the injection: met the fault");
    const startedDuring = history.phase();
    now = 20;
    history.mark("fault-healed");
    assert.equal(history.settledPhase(startedDuring), "during", "started under the fault, answered after the heal");
    assert.equal(history.settledPhase(history.phase()), "after");
  });
});
