import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countFaultAborts, parseConsumerGroupLag } from "./cluster-verify.ts";

// kafka-consumer-groups.sh --describe --all-groups, Kafka 3.9 (columns trimmed of the consumer ids).
const describeOutput = `
Consumer group 'notifications' has no active members.

GROUP           TOPIC                 PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID
notifications   meshmart.orders.v1    0          40              42              2               -               -               -
notifications   meshmart.orders.v1    1          38              38              0               -               -               -

GROUP           TOPIC                 PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID
orders          meshmart.inventory.v1 0          10              10              0               consumer-1-a    /10.244.0.9     consumer-1
orders          meshmart.payments.v1  0          -               5               -               consumer-1-a    /10.244.0.9     consumer-1
orders          meshmart.catalog.v1.dlq 0        0               3               3               consumer-1-a    /10.244.0.9     consumer-1

GROUP           TOPIC                 PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID
inventory       meshmart.orders.v1    0          7               7               0               consumer-2-b    /10.244.0.8     consumer-2
`;

describe("parseConsumerGroupLag", () => {
  const topics = {
    inventory: ["meshmart.orders.v1"],
    orders: ["meshmart.inventory.v1", "meshmart.payments.v1"],
    payments: ["meshmart.orders.v1"],
    notifications: ["meshmart.orders.v1"],
  };

  it("sums the lag of each group over the topics it consumes", () => {
    const lag = parseConsumerGroupLag(describeOutput, topics);
    assert.equal(lag.notifications, 2);
    assert.equal(lag.inventory, 0);
  });

  it("counts a partition with no committed offset as wholly unread, and ignores other topics", () => {
    assert.equal(parseConsumerGroupLag(describeOutput, topics).orders, 5, "payments.v1 never committed: 5 unread; the dlq topic is not consumed");
  });

  it("reads -1 for a group the broker does not know, so the events invariant reports it", () => {
    assert.equal(parseConsumerGroupLag(describeOutput, topics).payments, -1);
  });
});

describe("countFaultAborts", () => {
  it("sums the client-side requests to the destination that Envoy answered with an injected fault", () => {
    const stats = [
      "# TYPE istio_requests_total counter",
      'istio_requests_total{reporter="source",source_workload="orders",destination_service_name="catalog",response_code="503",response_flags="FI"} 12',
      'istio_requests_total{reporter="source",source_workload="orders",destination_service_name="catalog",response_code="200",response_flags="-"} 80',
      'istio_requests_total{reporter="source",source_workload="orders",destination_service_name="inventory",response_code="503",response_flags="FI"} 4',
      'istio_requests_total{reporter="destination",destination_service_name="catalog",response_code="503",response_flags="FI"} 9',
      'istio_requests_total{reporter="source",destination_service_name="catalog",response_code="503",response_flags="FI",grpc_response_status=""} 3',
    ].join("\n");
    assert.equal(countFaultAborts(stats, "catalog"), 15);
    assert.equal(countFaultAborts("", "catalog"), 0);
  });
});
