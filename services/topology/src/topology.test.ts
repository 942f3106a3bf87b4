import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { outboxServiceNames, rpcServiceNames, serviceNames, services, startOrder } from "./topology.ts";

describe("topology", () => {
  it("starts every service once, each after the services it calls", () => {
    const order = startOrder();
    assert.deepEqual([...order].sort(), [...serviceNames].sort());
    for (const name of order) {
      for (const callee of services[name].calls) {
        assert.ok(order.indexOf(callee) < order.indexOf(name), `${callee} must start before ${name}, which calls it`);
      }
    }
    assert.equal(order.at(-1), "gateway");
  });

  it("names the RPC servers (all but the gateway) and the services with an outbox", () => {
    assert.deepEqual(rpcServiceNames(), serviceNames.filter((name) => name !== "gateway"));
    assert.deepEqual(outboxServiceNames(), ["catalog", "inventory", "orders", "payments", "shipping"]);
  });
});
