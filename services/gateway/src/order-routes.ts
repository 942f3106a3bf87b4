// Orders: a customer's own orders, so every route needs a bearer token, and
// the customer is always the token's, never the caller's choice.
//   POST /api/v1/orders              (Idempotency-Key header) 201, or 200 on a replay      orders
//   GET  /api/v1/orders?status=&page_size=&page_token=                                    history
//   GET  /api/v1/orders/{id}                                                               history (orders until projected)
//   GET  /api/v1/orders/{id}/timeline                                                      orders
//   POST /api/v1/orders/{id}:cancel                                                        orders
// Another customer's order answers 404, exactly like a missing one, so that
// order ids cannot be probed.
//
// The two reads come from the order-history projection (services/history):
// one query gives the lines with product names, the payment and the shipment
// state. It follows the events, so it lags orders by its projection lag
// (typically well under a second). The list simply does not show an order
// placed a moment ago yet. The detail must not deny an order that exists: an
// order the projection has not applied the OrderPlaced of (NOT_FOUND there,
// or a summary without place_time) is read from orders instead, which is
// the truth about it, and answered in the same shape: orders' status,
// lines, total and creation time, product names empty, and the payment and
// shipment state the projection has seen so far (NONE when nothing yet).
// Only when orders does not know it either (or it is someone else's) is it 404.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { annotateSpan, meshmartAttributes } from "@meshmart/platform";
import { PlaceOrderRequestSchema as PlaceOrderBodySchema } from "@meshmart/proto/gateway/v1/gateway_pb";
import {
  GetOrderHistoryRequestSchema,
  ListOrderHistoryRequestSchema,
  ListOrderHistoryResponseSchema,
  OrderSummarySchema,
  PaymentState,
  ShipmentState,
  type OrderSummary,
} from "@meshmart/proto/history/v1/history_pb";
import {
  CancelOrderRequestSchema,
  GetOrderRequestSchema,
  GetOrderTimelineRequestSchema,
  GetOrderTimelineResponseSchema,
  OrderSchema,
  OrderStatus,
  PlaceOrderRequestSchema,
  type Order,
} from "@meshmart/proto/orders/v1/orders_pb";
import { callBackend, problemFromBackend } from "./backend-errors.ts";
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

export function orderRoutes({ orders, history }: Backends, admission?: OrderAdmission): Route[] {
  /** The caller's order, or 404 (also for someone else's). */
  const ownOrder = async (id: string, customerId: string): Promise<Order> => {
    const request = create(GetOrderRequestSchema, { id });
    validateMessage(GetOrderRequestSchema, request);
    const { order } = await callBackend(() => orders.getOrder(request));
    if (!order || order.customerId !== customerId) throw new Problem(404, { detail: `order ${id} not found` });
    return order;
  };

  /** The projection's summary of the order, or undefined when it holds none (its other errors are the caller's problem). */
  const projected = async (id: string): Promise<OrderSummary | undefined> => {
    const request = create(GetOrderHistoryRequestSchema, { orderId: id });
    validateMessage(GetOrderHistoryRequestSchema, request, { order_id: "id" });
    try {
      return (await history.getOrderHistory(request)).order;
    } catch (err) {
      if (ConnectError.from(err).code === Code.NotFound) return undefined;
      throw problemFromBackend(err);
    }
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
        const list = create(ListOrderHistoryRequestSchema, {
          customerId: customerOf(request),
          status: orderStatus(query.string("status")),
          pageSize: int32(query.integer("page_size")),
          pageToken: query.string("page_token"),
        });
        validateMessage(ListOrderHistoryRequestSchema, list);
        sendMessage(ctx, ListOrderHistoryResponseSchema, await callBackend(() => history.listOrderHistory(list)));
      },
    },
    {
      method: "GET",
      path: "/api/v1/orders/{id}",
      authenticated: true,
      async handle(ctx, request) {
        expectNoQuery(ctx);
        const id = request.params.id!;
        const customerId = customerOf(request);
        const summary = await projected(id);
        if (summary?.placeTime) {
          if (summary.customerId !== customerId) throw new Problem(404, { detail: `order ${id} not found` });
          sendMessage(ctx, OrderSummarySchema, summary);
          return;
        }
        // Not projected yet: orders knows it (or it does not exist, or is someone else's: 404).
        sendMessage(ctx, OrderSummarySchema, summaryFromOrders(await ownOrder(id, customerId), summary));
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

/**
 * An order the projection has not applied the OrderPlaced of, in the
 * projection's shape: what orders holds, and what the projection has seen of
 * its payment and shipment (a summary started by a payment or shipment event).
 */
export function summaryFromOrders(order: Order, partial?: OrderSummary): OrderSummary {
  return create(OrderSummarySchema, {
    orderId: order.id,
    customerId: order.customerId,
    status: order.status,
    cancelReason: order.cancelReason,
    cancelMessage: order.cancelMessage,
    ...(order.total ? { total: order.total } : {}),
    lines: order.items.map((item) => ({ productId: item.productId, productName: "", quantity: item.quantity, ...(item.unitPrice ? { unitPrice: item.unitPrice } : {}) })),
    paymentState: partial?.paymentState || PaymentState.NONE,
    shipmentState: partial?.shipmentState || ShipmentState.NONE,
    carrier: partial?.carrier ?? "",
    trackingNumber: partial?.trackingNumber ?? "",
    ...(order.createTime ? { placeTime: order.createTime } : {}),
    ...(order.updateTime ? { updateTime: order.updateTime } : {}),
  });
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
