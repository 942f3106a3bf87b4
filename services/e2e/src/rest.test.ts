import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatGroupLag, metricValue } from "./rest.ts";

const text = `# HELP rpc_client_requests_total Calls made
# TYPE rpc_client_requests_total counter
rpc_client_requests_total{service="meshmart.catalog.v1.CatalogService",method="ListProducts",code="unavailable"} 3
rpc_client_requests_total{service="meshmart.catalog.v1.CatalogService",method="BatchGetProducts",code="unavailable"} 4
rpc_client_requests_total{service="meshmart.catalog.v1.CatalogService",method="ListProducts",code="ok"} 90
rpc_client_requests_total{service="meshmart.inventory.v1.InventoryService",method="Reserve",code="unavailable"} 5
outbox_backlog 7
outbox_backlog_bytes 100
`;

describe("metricValue (Prometheus text)", () => {
  it("reads an unlabelled metric, not one whose name it prefixes", () => {
    assert.equal(metricValue(text, "outbox_backlog"), 7);
  });

  it("sums a labelled metric over its series, or over those that carry every label asked for", () => {
    assert.equal(metricValue(text, "rpc_client_requests_total"), 102);
    assert.equal(metricValue(text, "rpc_client_requests_total", { code: "unavailable" }), 12);
    assert.equal(metricValue(text, "rpc_client_requests_total", { service: "meshmart.catalog.v1.CatalogService", code: "unavailable" }), 7);
    assert.equal(metricValue(text, "rpc_client_requests_total", { code: "deadline_exceeded" }), 0);
  });
});

describe("formatGroupLag (what verify and the scenarios print for a group behind)", () => {
  it("names the group's state, each member with the partitions it holds, and each partition behind with its holder", () => {
    const lines = formatGroupLag("inventory", {
      state: "Stable",
      members: [
        { memberId: "m-1", clientId: "inventory-a", host: "/10.0.0.5", partitions: { "orders.v1": [0, 2] } },
        { memberId: "m-2", clientId: "inventory-b", host: "/10.0.0.6", partitions: { "orders.v1": [1] } },
      ],
      behind: [
        { topic: "orders.v1", partition: 2, committed: "40", end: "45", lag: 5 },
        { topic: "orders.v1", partition: 3, committed: "-1", end: "7", lag: 7 },
      ],
    });
    assert.deepEqual(lines, [
      "inventory: group Stable, 2 member(s): inventory-a@/10.0.0.5 [orders.v1:0,2]; inventory-b@/10.0.0.6 [orders.v1:1]",
      "  orders.v1/2: committed 40 of 45 (lag 5), held by m-1",
      "  orders.v1/3: committed -1 of 7 (lag 7), held by no member",
    ]);
  });

  it("says none when the group has no member", () => {
    assert.deepEqual(formatGroupLag("history", { state: "Empty", members: [], behind: [] }), ["history: group Empty, 0 member(s): none"]);
  });
});
