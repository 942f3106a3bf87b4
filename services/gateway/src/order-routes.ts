// Orders: a customer's own orders, so every route needs a bearer token, and
// the customer is always the token's, never the caller's choice.
//   POST /api/v1/orders              (Idempotency-Key header) 201, or 200 on a replay
//   GET  /api/v1/orders?status=&page_size=&page_token=
//   GET  /api/v1/orders/{id}
//   GET  /api/v1/orders/{id}/timeline
//   POST /api/v1/orders/{id}:cancel
// Another customer's order answers 404, exactly like a missing one, so that
// order ids cannot be probed.
import { create } from "@bufbuild/protobuf";
import { annotateSpan, meshmartAttributes } from "@meshmart/platform";
import { PlaceOrderRequestSchema as PlaceOrderBodySchema } from "@meshmart/proto/gateway/v1/gateway_pb";
import {
  CancelOrderRequestSchema,
  GetOrderRequestSchema,
  GetOrderTimelineRequestSchema,
  GetOrderTimelineResponseSchema,
  ListOrdersRequestSchema,
  ListOrdersResponseSchema,
  OrderSchema,
  OrderStatus,
  PlaceOrderRequestSchema,
  type Order,
} from "@meshmart/proto/orders/v1/orders_pb";
import { callBackend } from "./backend-errors.ts";
import type { Backends } from "./backends.ts";
import { customerIdFor } from "./customer-id.ts";
import { readJsonBody } from "./json-body.ts";
import type { Identity } from "./jwt.ts";
import { parseMessage, sendMessage, validateMessage } from "./messages.ts";
import { badField, Problem } from "./problem.ts";
import { expectNoQuery, int32, Query } from "./query.ts";
import { AdmissionRefused, type OrderAdmission } from "./order-admission.ts";
import type { Route, RouteRequest } from "./rest-router.ts";

/** The header that makes placing an order safe to retry. */
export const idempotencyKeyHeader = "Idempotency-Key";

const placeAliases = { idempotency_key: idempotencyKeyHeader };

export function orderRoutes({ orders }: Backends, admission?: OrderAdmission): Route[] {
  /** The caller's order, or 404 (also for someone else's). */
  const ownOrder = async (id: string, customerId: string): Promise<Order> => {
    const request = create(GetOrderRequestSchema, { id });
    validateMessage(GetOrderRequestSchema, request);
    const { order } = await callBackend(() => orders.getOrder(request));
    if (!order || order.customerId !== customerId) throw new Problem(404, { detail: `order ${id} not found` });
    return order;
  };

  return [
    {
      method: "POST",
      path: "/api/v1/orders",
      authenticated: true,
      async handle(ctx, request) {
        expectNoQuery(ctx);
        const customerId = customerOf(request);
        const idempotencyKey = ctx.get(idempotencyKeyHeader);
        if (!idempotencyKey) {
          throw badField(idempotencyKeyHeader, "required", "header is required: a unique key per order, reused on retries");
        }
        const body = parseMessage(PlaceOrderBodySchema, await readJsonBody(ctx));
        if (body.customerId && body.customerId !== customerId) {
          throw new Problem(403, { detail: "customer_id must be omitted or be the customer of the bearer token" });
        }
        body.customerId = customerId;
        validateMessage(PlaceOrderBodySchema, body);
        const items = body.items.map(({ productId, quantity }) => ({ productId, quantity }));
        const place = create(PlaceOrderRequestSchema, { customerId, items, idempotencyKey });
        validateMessage(PlaceOrderRequestSchema, place, placeAliases);

        // Only an order that would be placed is subject to admission: every check above answers 4xx first.
        const admitted = admission?.admit();
        if (admitted && !admitted.admitted) {
          throw new Problem(503, {
            detail: admitted.reason,
            code: "unavailable",
            headers: { "Retry-After": String(admitted.retryAfterSeconds) },
            cause: new AdmissionRefused(admitted.reason),
          });
        }
        let placed;
        try {
          placed = await callBackend(() => orders.placeOrder(place), placeAliases);
        } finally {
          if (admitted?.admitted) admitted.done();
        }
        const { order, replayed } = placed;
        if (!order) throw new Problem(502, { detail: "orders answered without an order", code: "internal" });
        annotateSpan({ [meshmartAttributes.orderId]: order.id });
        ctx.set("Location", `/api/v1/orders/${encodeURIComponent(order.id)}`);
        sendMessage(ctx, OrderSchema, order, replayed ? 200 : 201);
      },
    },
    {
      method: "GET",
      path: "/api/v1/orders",
      authenticated: true,
      async handle(ctx, request) {
        const query = new Query(ctx, ["status", "page_size", "page_token"]);
        const list = create(ListOrdersRequestSchema, {
          customerId: customerOf(request),
          status: orderStatus(query.string("status")),
          pageSize: int32(query.integer("page_size")),
          pageToken: query.string("page_token"),
        });
        validateMessage(ListOrdersRequestSchema, list);
        sendMessage(ctx, ListOrdersResponseSchema, await callBackend(() => orders.listOrders(list)));
      },
    },
    {
      method: "GET",
      path: "/api/v1/orders/{id}",
      authenticated: true,
      async handle(ctx, request) {
        expectNoQuery(ctx);
        sendMessage(ctx, OrderSchema, await ownOrder(request.params.id!, customerOf(request)));
      },
    },
    {
      method: "GET",
      path: "/api/v1/orders/{id}/timeline",
      authenticated: true,
      async handle(ctx, request) {
        expectNoQuery(ctx);
        const order = await ownOrder(request.params.id!, customerOf(request));
        const timeline = create(GetOrderTimelineRequestSchema, { id: order.id });
        sendMessage(ctx, GetOrderTimelineResponseSchema, await callBackend(() => orders.getOrderTimeline(timeline)));
      },
    },
    {
      method: "POST",
      path: "/api/v1/orders/{id}:cancel",
      authenticated: true,
      async handle(ctx, request) {
        expectNoQuery(ctx);
        const { id } = await ownOrder(request.params.id!, customerOf(request));
        const { order } = await callBackend(() => orders.cancelOrder(create(CancelOrderRequestSchema, { id })));
        if (!order) throw new Problem(502, { detail: "orders answered without an order", code: "internal" });
        sendMessage(ctx, OrderSchema, order);
      },
    },
  ];
}

function customerOf(request: RouteRequest): string {
  return customerIdFor((request.identity as Identity).subject);
}

/** Names clients may filter by: "pending", "PENDING" or "ORDER_STATUS_PENDING". */
export const orderStatusNames = ["PENDING", "CONFIRMED", "CANCELLED"] as const;

function orderStatus(text: string): OrderStatus {
  if (text === "") return OrderStatus.UNSPECIFIED;
  const name = text.toUpperCase().replace(/^ORDER_STATUS_/, "");
  if (!(orderStatusNames as readonly string[]).includes(name)) {
    throw badField("status", "query.enum", `must be one of ${orderStatusNames.join(", ")}`);
  }
  return OrderStatus[name as (typeof orderStatusNames)[number]];
}
