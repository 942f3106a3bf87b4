// Orders through the gateway against a fake OrderService and a fake
// OrderHistoryService: placement with an Idempotency-Key, the body checks
// that keep bad requests from the backend, the reads from the projection
// (and from orders while an order is not projected yet), and a customer's
// orders staying that customer's.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  OrderSummarySchema,
  PaymentState,
  ShipmentState,
  type ListOrderHistoryRequest,
  type OrderSummary,
} from "@meshmart/proto/history/v1/history_pb";
import { CancelReason, OrderSchema, OrderStatus, type Order, type PlaceOrderRequest } from "@meshmart/proto/orders/v1/orders_pb";
import { invalidArgument, notFound } from "@meshmart/platform";
import { customerIdFor } from "./customer-id.ts";
import { maxBodyBytes } from "./json-body.ts";
import { problemOf, startTestGateway, type TestGateway } from "./test-gateway.ts";

const productA = "0b5c6a43-8c1f-4d6e-9a2b-3c4d5e6f7a81";
const productB = "1c6d7b54-9d2f-4e7f-8b3c-4d5e6f7a8b92";

describe("order routes", () => {
  let gw: TestGateway;
  let token: string;
  /** Orders the fake OrderService holds, by id. */
  let stored: Map<string, Order>;
  /** Summaries the fake OrderHistoryService holds, by order id. */
  let projected: Map<string, OrderSummary>;

  before(async () => {
    gw = await startTestGateway();
    token = await gw.token("customer-1");
  });
  after(() => gw.stop());

  beforeEach(() => {
    gw.calls.length = 0;
    stored = new Map();
    projected = new Map();
    gw.history.getOrderHistory = ({ orderId }) => {
      const order = projected.get(orderId);
      if (!order) throw notFound("order history of order", orderId);
      return { order };
    };
    const byKey = new Map<string, Order>();
    // Idempotent by (customer, key), like the real service.
    gw.orders.placeOrder = (req: PlaceOrderRequest) => {
      const key = `${req.customerId}/${req.idempotencyKey}`;
      const existing = byKey.get(key);
      if (existing) return { order: existing, replayed: true };
      const order = create(OrderSchema, {
        id: randomUUID(),
        customerId: req.customerId,
        status: OrderStatus.PENDING,
        items: req.items.map(({ productId, quantity }) => ({ productId, quantity, unitPrice: { currencyCode: "EUR", unitsMinor: 1999n } })),
        total: { currencyCode: "EUR", unitsMinor: 1999n * BigInt(req.items.reduce((n, item) => n + item.quantity, 0)) },
        idempotencyKey: req.idempotencyKey,
        createTime: timestampNow(),
      });
      byKey.set(key, order);
      stored.set(order.id, order);
      return { order, replayed: false };
    };
    gw.orders.getOrder = ({ id }) => {
      const order = stored.get(id);
      if (!order) throw notFound("order", id);
      return { order };
    };
    gw.orders.cancelOrder = ({ id }) => {
      const order = stored.get(id)!;
      order.status = OrderStatus.CANCELLED;
      return { order };
    };
  });

  const place = (body: unknown, headers: Record<string, string> = {}) =>
    gw.request("/api/v1/orders", {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "idempotency-key": "key-1",
        ...headers,
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  const oneItem = { items: [{ productId: productA, quantity: 2 }] };

  it("places an order for the token's customer: 201, Location, protobuf JSON", async () => {
    const res = await place(oneItem);
    assert.equal(res.status, 201);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const order = (await res.json()) as Record<string, unknown> & { id: string };
    assert.equal(res.headers.get("location"), `/api/v1/orders/${order.id}`);
    assert.equal(order.status, "ORDER_STATUS_PENDING");
    assert.equal(order.customerId, customerIdFor("customer-1"));
    assert.deepEqual(order.total, { currencyCode: "EUR", unitsMinor: "3998" });

    const [call] = gw.callsTo("PlaceOrder");
    const sent = call!.request as PlaceOrderRequest;
    assert.equal(sent.customerId, customerIdFor("customer-1"));
    assert.deepEqual(
      sent.items.map(({ productId, quantity }) => ({ productId, quantity })),
      [{ productId: productA, quantity: 2 }],
    );
  });

  it("passes the same Idempotency-Key through unchanged, and a replay is 200 with the same order", async () => {
    const key = `retry:${randomUUID()}`;
    const first = await place(oneItem, { "idempotency-key": key });
    const second = await place(oneItem, { "idempotency-key": key });
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    const [a, b] = [(await first.json()) as { id: string }, (await second.json()) as { id: string }];
    assert.equal(a.id, b.id);
    assert.equal(stored.size, 1, "one order");
    const keys = gw.callsTo("PlaceOrder").map((call) => (call.request as PlaceOrderRequest).idempotencyKey);
    assert.deepEqual(keys, [key, key]);
  });

  it("accepts snake_case proto field names too", async () => {
    const res = await place({ items: [{ product_id: productA, quantity: 1 }] });
    assert.equal(res.status, 201);
  });

  it("requires the Idempotency-Key header: 400, backend never called", async () => {
    const res = await gw.request("/api/v1/orders", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(oneItem),
    });
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    assert.equal(problem.violations?.[0]?.field, "Idempotency-Key");
    assert.equal(gw.calls.length, 0);
  });

  it("refuses an Idempotency-Key the contract does not allow, naming the header", async () => {
    const res = await place(oneItem, { "idempotency-key": "has spaces" });
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    assert.equal(problem.violations?.[0]?.field, "Idempotency-Key");
    assert.equal(problem.violations?.[0]?.rule, "string.pattern");
    assert.equal(gw.calls.length, 0);
  });

  it("answers malformed JSON with a 400 problem, backend never called", async () => {
    const res = await place('{"items": [');
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    assert.equal(problem.status, 400);
    assert.equal(problem.title, "Bad Request");
    assert.equal(problem.code, "invalid_argument");
    assert.match(problem.detail, /not valid JSON/);
    assert.equal(problem.instance, "/api/v1/orders");
    assert.equal(gw.calls.length, 0);
  });

  for (const [name, body, detail] of [
    ["a JSON array", "[]", /JSON object/],
    ["an unknown field", { items: oneItem.items, coupon: "FREE" }, /coupon/],
    ["a quantity that is not a number", { items: [{ productId: productA, quantity: "two" }] }, /quantity/],
    ["an empty body", "", /empty/],
  ] as const) {
    it(`answers ${name} with 400, backend never called`, async () => {
      const res = await place(body);
      assert.equal(res.status, 400);
      assert.match((await problemOf(res)).detail, detail);
      assert.equal(gw.calls.length, 0);
    });
  }

  it("answers quantity 0 with 400 naming the field, backend never called", async () => {
    const res = await place({ items: [{ productId: productA, quantity: 0 }] });
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    assert.deepEqual(problem.violations, [
      { field: "items[0].quantity", rule: "int32.gt_lte", message: "must be greater than 0 and less than or equal to 10000" },
    ]);
    assert.equal(gw.calls.length, 0);
  });

  it("checks the whole body from the proto rules: no items, a bad product id, a product twice", async () => {
    const cases = [
      [{ items: [] }, "items", "repeated.min_items"],
      [{ items: [{ productId: "nope", quantity: 1 }] }, "items[0].product_id", "string.uuid"],
      [{ items: [{ productId: productA, quantity: 1 }, { productId: productA, quantity: 2 }] }, "items", "place_order.unique_product_ids"],
    ] as const;
    for (const [body, field, rule] of cases) {
      const res = await place(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const problem = await problemOf(res);
      assert.ok(
        problem.violations?.some((v) => v.field === field && v.rule === rule),
        `${JSON.stringify(problem.violations)} names ${field} ${rule}`,
      );
    }
    assert.equal(gw.calls.length, 0);
  });

  it("maps an unknown product to a 4xx, whatever code orders answers it with", async () => {
    const answers: [ConnectError, number][] = [
      [notFound("product", productB), 404],
      [invalidArgument("items[0].product_id", `product ${productB} does not exist`), 400],
      [new ConnectError(`product ${productB} does not exist`, Code.FailedPrecondition), 409],
    ];
    for (const [error, status] of answers) {
      gw.orders.placeOrder = () => {
        throw error;
      };
      const res = await place({ items: [{ productId: productB, quantity: 1 }] }, { "idempotency-key": randomUUID() });
      assert.equal(res.status, status);
      const problem = await problemOf(res);
      assert.match(problem.detail, new RegExp(productB));
      if (status === 400) assert.equal(problem.violations?.[0]?.field, "items[0].product_id");
    }
  });

  it("refuses a body over 64 KiB with 413 before reading it, backend never called", async () => {
    const huge = JSON.stringify({ items: oneItem.items, padding: "x".repeat(maxBodyBytes) });
    const res = await place(huge);
    assert.equal(res.status, 413);
    assert.equal((await problemOf(res)).code, "resource_exhausted");
    assert.equal(gw.calls.length, 0);
  });

  it("stops reading a chunked body as soon as it passes the limit: 413", async () => {
    // No Content-Length: the gateway has to count. The client keeps sending.
    const { status, body, sent } = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/api/v1/orders`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "idempotency-key": "chunked",
          "transfer-encoding": "chunked",
        },
      });
      let sent = 0;
      const chunk = Buffer.alloc(16 * 1024, " ");
      const pump = () => {
        while (sent < 10 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      req.on("response", (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body: text, sent }));
      });
      req.on("error", reject);
      req.write("{");
      pump();
    });
    assert.equal(status, 413, body);
    assert.ok(sent < 10 * 1024 * 1024, `the gateway answered before the whole body was sent (${sent} bytes)`);
    assert.equal(gw.calls.length, 0);
  });

  it("refuses a body that is not application/json with 415", async () => {
    const res = await place("items=1", { "content-type": "application/x-www-form-urlencoded" });
    assert.equal(res.status, 415);
    await problemOf(res);
    assert.equal(gw.calls.length, 0);
  });

  it("refuses a customer_id that is not the token's customer with 403", async () => {
    const res = await place({ ...oneItem, customerId: randomUUID() });
    assert.equal(res.status, 403);
    await problemOf(res);
    const own = await place({ ...oneItem, customerId: customerIdFor("customer-1") });
    assert.equal(own.status, 201);
  });

  /** The projection's summary of a stored order, as history would answer once it has applied everything. */
  const project = (order: Order, extra: Omit<MessageInitShape<typeof OrderSummarySchema>, "$typeName"> = {}) => {
    const summary = create(OrderSummarySchema, {
      orderId: order.id,
      customerId: order.customerId,
      status: OrderStatus.CONFIRMED,
      total: order.total,
      lines: order.items.map((item) => ({ productId: item.productId, productName: "Anvil", quantity: item.quantity, unitPrice: item.unitPrice })),
      paymentState: PaymentState.CAPTURED,
      shipmentState: ShipmentState.BOOKED,
      carrier: "Parcelo",
      trackingNumber: "PX-1",
      placeTime: order.createTime,
      updateTime: timestampNow(),
      ...extra,
    });
    projected.set(order.id, summary);
    return summary;
  };
  const getOrder = (id: string, bearer = token) => gw.request(`/api/v1/orders/${id}`, { headers: { authorization: `Bearer ${bearer}` } });

  it("shows a customer their own order from the projection, with names and states, and 404 for anyone else's", async () => {
    const { id } = (await (await place(oneItem)).json()) as { id: string };
    project(stored.get(id)!);
    const mine = await getOrder(id);
    assert.equal(mine.status, 200);
    const body = (await mine.json()) as Record<string, unknown> & { lines: Array<Record<string, unknown>> };
    assert.equal(body.orderId, id);
    assert.equal(body.customerId, customerIdFor("customer-1"));
    assert.equal(body.status, "ORDER_STATUS_CONFIRMED");
    assert.equal(body.paymentState, "PAYMENT_STATE_CAPTURED");
    assert.equal(body.shipmentState, "SHIPMENT_STATE_BOOKED");
    assert.equal(body.trackingNumber, "PX-1");
    assert.deepEqual(body.lines, [{ productId: productA, productName: "Anvil", quantity: 2, unitPrice: { currencyCode: "EUR", unitsMinor: "1999" } }]);
    assert.deepEqual(body.total, { currencyCode: "EUR", unitsMinor: "3998" });
    assert.equal(gw.callsTo("GetOrder").length, 0, "orders is not asked for a projected order");

    const other = await gw.token("customer-2");
    assert.equal((await getOrder(id, other)).status, 404);
    const cancel = await gw.request(`/api/v1/orders/${id}:cancel`, { method: "POST", headers: { authorization: `Bearer ${other}` } });
    assert.equal(cancel.status, 404);
    assert.equal(gw.callsTo("CancelOrder").length, 0);

    const missing = await getOrder(randomUUID());
    assert.equal(missing.status, 404);
    assert.match((await problemOf(missing)).detail, /not found/);
    const bad = await getOrder("not-a-uuid");
    assert.equal(bad.status, 400);
    assert.equal((await problemOf(bad)).violations?.[0]?.field, "id");
  });

  it("answers an order the projection has not applied yet from orders, in the same shape: never a 404 for an order that exists", async () => {
    const { id } = (await (await place(oneItem)).json()) as { id: string };
    const order = stored.get(id)!;
    const fresh = await getOrder(id);
    assert.equal(fresh.status, 200);
    const body = (await fresh.json()) as Record<string, unknown> & { lines: Array<Record<string, unknown>> };
    assert.equal(body.orderId, id);
    assert.equal(body.status, "ORDER_STATUS_PENDING");
    assert.deepEqual(body.lines, [{ productId: productA, productName: "", quantity: 2, unitPrice: { currencyCode: "EUR", unitsMinor: "1999" } }]);
    assert.equal(body.paymentState, "PAYMENT_STATE_NONE");
    assert.equal(body.shipmentState, "SHIPMENT_STATE_NONE");
    assert.equal(new Date(body.placeTime as string).getTime(), timestampDate(order.createTime!).getTime(), "place_time is orders' creation time");
    assert.equal(gw.callsTo("GetOrder").length, 1);
    // Someone else's order is 404 from orders too.
    assert.equal((await getOrder(id, await gw.token("customer-2"))).status, 404);

    // A summary started by a payment event (no OrderPlaced applied yet): orders' order with what the projection has seen.
    order.status = OrderStatus.CANCELLED;
    order.cancelReason = CancelReason.PAYMENT_DECLINED;
    project(order, { status: OrderStatus.UNSPECIFIED, customerId: "", lines: [], placeTime: undefined, paymentState: PaymentState.DECLINED, shipmentState: ShipmentState.NONE, trackingNumber: "" });
    const partial = (await (await getOrder(id)).json()) as Record<string, unknown>;
    assert.equal(partial.status, "ORDER_STATUS_CANCELLED");
    assert.equal(partial.cancelReason, "CANCEL_REASON_PAYMENT_DECLINED");
    assert.equal(partial.paymentState, "PAYMENT_STATE_DECLINED");
    assert.equal(partial.customerId, customerIdFor("customer-1"));
  });

  it("answers 503 with Retry-After when history is unavailable, and does not fall back to orders then", async () => {
    const { id } = (await (await place(oneItem)).json()) as { id: string };
    gw.history.getOrderHistory = () => {
      throw new ConnectError("projection database down", Code.Unavailable);
    };
    const res = await getOrder(id);
    assert.equal(res.status, 503);
    assert.ok(res.headers.get("retry-after"));
    assert.match((await problemOf(res)).detail, /history is unavailable/);
    assert.equal(gw.callsTo("GetOrder").length, 0);
  });

  it("cancels the customer's order; a confirmed one is 409", async () => {
    const { id } = (await (await place(oneItem)).json()) as { id: string };
    const res = await gw.request(`/api/v1/orders/${id}:cancel`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, "ORDER_STATUS_CANCELLED");

    gw.orders.cancelOrder = () => {
      throw new ConnectError("order is CONFIRMED and can no longer be cancelled", Code.FailedPrecondition);
    };
    const confirmed = await gw.request(`/api/v1/orders/${id}:cancel`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    assert.equal(confirmed.status, 409);
    assert.equal((await problemOf(confirmed)).code, "failed_precondition");
  });

  it("lists only the caller's orders from the projection, with status filter and paging passed through", async () => {
    const { id } = (await (await place(oneItem)).json()) as { id: string };
    const summary = project(stored.get(id)!);
    gw.history.listOrderHistory = () => ({ orders: [summary], nextPageToken: "" });
    const res = await gw.request("/api/v1/orders?status=pending&page_size=10&page_token=abc", {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { orders: Array<Record<string, unknown>>; nextPageToken: string };
    assert.equal(body.nextPageToken, "");
    assert.deepEqual(body.orders.map((o) => [o.orderId, o.paymentState, (o.lines as Array<{ productName: string }>)[0]!.productName]), [[id, "PAYMENT_STATE_CAPTURED", "Anvil"]]);
    const sent = gw.callsTo("ListOrderHistory")[0]!.request as ListOrderHistoryRequest;
    assert.equal(sent.customerId, customerIdFor("customer-1"));
    assert.equal(sent.status, OrderStatus.PENDING);
    assert.equal(sent.pageSize, 10);
    assert.equal(sent.pageToken, "abc");
    assert.equal(gw.callsTo("ListOrders").length, 0, "orders is not asked");

    for (const query of ["status=shipped", "page_size=-1", "page_size=5000", "customer_id=someone", "pageSize=10"]) {
      const bad = await gw.request(`/api/v1/orders?${query}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(bad.status, 400, query);
      await problemOf(bad);
    }
    assert.equal(gw.callsTo("ListOrderHistory").length, 1);

    // The projection's own refusal of a token passes through as a 400.
    gw.history.listOrderHistory = () => {
      throw invalidArgument("page_token", "is not a page token of this list");
    };
    const refused = await gw.request("/api/v1/orders?page_token=zzz", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(refused.status, 400);
    assert.equal((await problemOf(refused)).violations?.[0]?.field, "page_token");
  });
});
