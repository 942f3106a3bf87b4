// The order flow end to end: every service as a real process on the real
// PostgreSQL and Kafka, orders placed through the gateway, and the five
// invariants checked after each run (and after each fault).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import { scarceDemoSkus } from "@meshmart/fixtures";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { GatewayShopper } from "./gateway-shopper.ts";
import type { AcceptedOrder } from "./invariants.ts";
import { createSystemClients } from "./system-clients.ts";
import { startTestStack, type TestStack } from "./test-stack.ts";
import { checkTimelines } from "./timeline-fold.ts";

/** Places `count` orders with `concurrency` shoppers; returns what was accepted. */
async function placeOrders(stack: TestStack, count: number, concurrency: number): Promise<AcceptedOrder[]> {
  const customers = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const customerId = randomUUID();
      return { customerId, shopper: new GatewayShopper(stack.processes.urls.gateway, await devTokenFor(customerId)) };
    }),
  );
  const products = await customers[0]!.shopper.listProductIds();
  assert.ok(products.length >= 10, "the catalog is seeded");
  const accepted: AcceptedOrder[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const { customerId, shopper } = customers[i % customers.length]!;
        const picks = [...products].sort(() => Math.random() - 0.5).slice(0, 1 + (i % 3));
        const key = randomUUID();
        // The gateway's admission control may refuse a burst (503 + Retry-After): retried as a client would.
        const placed = await shopper.placeOrderRetrying(picks.map((p) => ({ productId: p.id, quantity: 1 + (i % 2) })), key);
        assert.ok(placed.status === 201 && placed.orderId, `order ${i} accepted: ${placed.status} ${JSON.stringify(placed.problem)}`);
        accepted.push({ orderId: placed.orderId, customerId, idempotencyKey: key });
      }
    }),
  );
  return accepted;
}

function assertVerdict(verdict: Awaited<ReturnType<TestStack["verify"]>>, report: string[]): void {
  assert.ok(verdict.pass, `invariants:\n${report.join("\n")}`);
}

describe("order flow", () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({
      brokers: testKafkaBrokers(),
      serviceEnv: { payments: { PAYMENT_DECLINE_RATE: "0.3" }, shipping: { SHIPPING_FAILURE_RATE: "0.2" }, orders: { SAGA_TIMEOUT_MS: "60000" } },
    });
  });
  after(() => stack?.stop());

  it("settles 200 concurrent orders (30% of payments declined, 20% of shipments failed) with every invariant holding", async () => {
    const accepted = await placeOrders(stack, 200, 16);
    const report: string[] = [];
    const verdict = await stack.verify(accepted, (line) => report.push(line));
    assertVerdict(verdict, report);
    const orders = (await fetch(`${stack.processes.urls.orders}/meshmart.orders.v1.OrderService/Audit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pageSize: 1000 }),
    }).then((r) => r.json())) as { orders: Array<{ order: { status: string; cancelReason?: string } }> };
    const declined = orders.orders.filter((o) => o.order.cancelReason === "CANCEL_REASON_PAYMENT_DECLINED").length;
    const confirmed = orders.orders.filter((o) => o.order.status === "ORDER_STATUS_CONFIRMED").length;
    const shipmentFailed = orders.orders.filter((o) => o.order.cancelReason === "CANCEL_REASON_SHIPMENT_FAILED").length;
    assert.ok(declined > 20 && declined < 110, `about 30% declined (${declined} of 200)`);
    // 20 % of the ~120 paid orders; their refunds and releases are what invariants 2, 3 and 6 checked above.
    assert.ok(shipmentFailed > 5 && shipmentFailed < 60, `about 20% of the paid orders cancelled SHIPMENT_FAILED (${shipmentFailed})`);
    assert.ok(confirmed > 60, `most of the rest confirmed (${confirmed})`);

    // Every order's timeline, folded through the saga's decide(), gives its stored state.
    const timelines = await checkTimelines(createSystemClients({ ORDERS_URL: stack.processes.urls.orders }).orders);
    assert.ok(timelines.checked >= 200, `${timelines.checked} timelines checked`);
    assert.deepEqual(timelines.mismatches, []);

    // The timeline through the gateway: the customer's own order, oldest step first; anyone else's is 404.
    const { orderId, customerId } = accepted[0]!;
    const own = await fetch(`${stack.processes.urls.gateway}/api/v1/orders/${orderId}/timeline`, {
      headers: { authorization: `Bearer ${await devTokenFor(customerId)}` },
    });
    assert.equal(own.status, 200);
    const timeline = (await own.json()) as { entries: Array<{ event: string; cause: string; status: string }> };
    assert.equal(timeline.entries[0]!.event, "PlaceOrder");
    assert.equal(timeline.entries[0]!.cause, "PlaceOrder RPC");
    assert.match(timeline.entries[1]!.cause, /^meshmart\.inventory\.v1\.Stock(Reserved|Rejected) /);
    assert.notEqual(timeline.entries.at(-1)!.status, "ORDER_STATUS_PENDING");
    const stranger = await fetch(`${stack.processes.urls.gateway}/api/v1/orders/${orderId}/timeline`, {
      headers: { authorization: `Bearer ${await devTokenFor(randomUUID())}` },
    });
    assert.equal(stranger.status, 404);
  });

  it("gives one order for the same Idempotency-Key twice", async () => {
    const customerId = randomUUID();
    const shopper = new GatewayShopper(stack.processes.urls.gateway, await devTokenFor(customerId));
    const [product] = await shopper.listProductIds();
    const key = randomUUID();
    const first = await shopper.placeOrderRetrying([{ productId: product!.id, quantity: 1 }], key);
    const second = await shopper.placeOrder([{ productId: product!.id, quantity: 1 }], key);
    assert.equal(first.status, 201);
    assert.equal(second.status, 200, "the replay answers 200");
    assert.equal(second.orderId, first.orderId);
    const report: string[] = [];
    assertVerdict(await stack.verify([{ orderId: first.orderId!, customerId, idempotencyKey: key }], (l) => report.push(l)), report);
  });

  it("keeps every invariant when inventory is killed with SIGKILL mid-run and restarted", async () => {
    const run = placeOrders(stack, 80, 8);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await stack.processes.kill("inventory", "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await stack.processes.start("inventory");
    const accepted = await run;
    const report: string[] = [];
    assertVerdict(await stack.verify(accepted, (l) => report.push(l)), report);
  });

  it("cancels and compensates a saga whose payment stalls past its deadline", async () => {
    // Orders cancels after 3 s; payments stalls 5 s on the request, then captures, then refunds on OrderCancelled.
    const put = (url: string, body: string) => fetch(`${url}/admin/faults`, { method: "PUT", body });
    await stack.processes.kill("orders", "SIGTERM");
    try {
      await stack.processes.start("orders", { SAGA_TIMEOUT_MS: "3000" });
      assert.equal((await put(stack.processes.urls.payments, "event:PaymentRequested=stall:5000")).status, 200);
      const customerId = randomUUID();
      const shopper = new GatewayShopper(stack.processes.urls.gateway, await devTokenFor(customerId));
      // A product with plenty of stock: the order must wait for its payment, not be rejected for stock.
      const product = (await shopper.listProductIds()).find((p) => !scarceDemoSkus.includes(p.sku))!;
      const key = randomUUID();
      const placed = await shopper.placeOrder([{ productId: product.id, quantity: 1 }], key);
      assert.equal(placed.status, 201);
      const order = await eventually(async () => {
        const res = (await fetch(`${stack.processes.urls.orders}/meshmart.orders.v1.OrderService/GetOrder`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: placed.orderId }),
        }).then((r) => r.json())) as { order: { status: string; cancelReason?: string } };
        return res.order.status === "ORDER_STATUS_CANCELLED" ? res.order : undefined;
      }, { what: "the order cancelled by its deadline", timeoutMs: 20_000 });
      assert.equal(order.cancelReason, "CANCEL_REASON_DEADLINE_EXCEEDED");
      await put(stack.processes.urls.payments, "");
      const report: string[] = [];
      assertVerdict(await stack.verify([{ orderId: placed.orderId!, customerId, idempotencyKey: key }], (l) => report.push(l)), report);
    } finally {
      await put(stack.processes.urls.payments, "").catch(() => {});
      await stack.processes.kill("orders", "SIGTERM");
      await stack.processes.start("orders");
    }
  });

  it("answers bad requests at the gateway with the right 4xx and changes nothing", async () => {
    const gateway = stack.processes.urls.gateway;
    const count = async () =>
      ((await fetch(`${stack.processes.urls.orders}/meshmart.orders.v1.OrderService/Audit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pageSize: 1000 }),
      }).then((r) => r.json())) as { orders?: unknown[] }).orders?.length ?? 0;
    const before = await count();
    const token = await devTokenFor(randomUUID());
    const shopper = new GatewayShopper(gateway, token);
    const [product] = await shopper.listProductIds();
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${gateway}/api/v1/orders`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": randomUUID(), ...headers }, body });
    const valid = JSON.stringify({ items: [{ productId: product!.id, quantity: 1 }] });
    const cases: Array<[string, Promise<Response>, number]> = [
      ["no token", post({}, valid), 401],
      ["bad token", post({ authorization: "Bearer not.a.token" }, valid), 401],
      ["malformed JSON", post({ authorization: `Bearer ${token}` }, "{ items: [ "), 400],
      ["unknown product", post({ authorization: `Bearer ${token}` }, JSON.stringify({ items: [{ productId: randomUUID(), quantity: 1 }] })), 409],
      ["quantity 0", post({ authorization: `Bearer ${token}` }, JSON.stringify({ items: [{ productId: product!.id, quantity: 0 }] })), 400],
      ["huge body", post({ authorization: `Bearer ${token}` }, JSON.stringify({ items: [], pad: "x".repeat(2_000_000) })), 413],
    ];
    for (const [name, response, status] of cases) {
      const res = await response;
      assert.equal(res.status, status, `${name}: ${res.status} ${await res.clone().text()}`);
      assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/, `${name} answers problem+json`);
    }
    assert.equal(await count(), before, "no order was created");
  });
});
