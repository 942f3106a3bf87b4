import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metricValue } from "./rest.ts";

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
