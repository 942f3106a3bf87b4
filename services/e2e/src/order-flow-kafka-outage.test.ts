// The order flow through a 10-second Kafka outage in the middle of a run:
// orders keep being accepted, events wait in the outboxes, and once the broker
// is back every saga ends and every invariant holds.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startKafka, type KafkaHandle } from "@meshmart/infra/kafka";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { GatewayShopper } from "./gateway-shopper.ts";
import type { AcceptedOrder } from "./invariants.ts";
import { startTestStack, type TestStack } from "./test-stack.ts";

describe("order flow through a Kafka outage", () => {
  let kafka: KafkaHandle;
  let stack: TestStack;

  before(async () => {
    // A broker of its own (not the shared one in KAFKA_BROKERS), so that stopping it disturbs no other test.
    kafka = await startKafka({ profile: "test-outage", port: Number(process.env.MESHMART_OUTAGE_KAFKA_PORT ?? 19192), own: true });
    stack = await startTestStack({ brokers: kafka.brokers, env: { KAFKA_BROKERS: kafka.brokers.join(",") } });
  });
  after(async () => {
    await stack?.stop();
    await kafka?.stop();
  });

  it("loses nothing when the broker stops for 10 seconds mid-run", async () => {
    const customerId = randomUUID();
    const shopper = new GatewayShopper(stack.processes.urls.gateway, await devTokenFor(customerId));
    const products = await shopper.listProductIds();
    const accepted: AcceptedOrder[] = [];
    const place = async (i: number) => {
      const key = randomUUID();
      // Admission control may refuse while the backlog drains after the outage (503 + Retry-After): retried as a client would.
      const placed = await shopper.placeOrderRetrying([{ productId: products[i % products.length]!.id, quantity: 1 }], key);
      assert.equal(placed.status, 201, `order ${i}: ${JSON.stringify(placed.problem)}`);
      accepted.push({ orderId: placed.orderId!, customerId, idempotencyKey: key });
    };
    for (let i = 0; i < 20; i++) await place(i);
    await kafka.stop();
    const outageStarted = Date.now();
    for (let i = 20; i < 40; i++) await place(i); // accepted while the broker is down
    const remaining = 10_000 - (Date.now() - outageStarted);
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    await kafka.start();
    for (let i = 40; i < 60; i++) await place(i);
    const report: string[] = [];
    const verdict = await stack.verify(accepted, (line) => report.push(line));
    assert.ok(verdict.pass, report.join("\n"));
  });
});
