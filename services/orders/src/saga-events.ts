// The events that move the saga: inventory's, payments' and shipping's answers, as saga events for the order they name.
import type { EventConsumer } from "@meshmart/platform";
import {
  StockCommittedSchema,
  StockRejectedSchema,
  StockReleasedSchema,
  StockReservedSchema,
} from "@meshmart/proto/inventory/v1/events_pb";
import { StockRejectionReason } from "@meshmart/proto/inventory/v1/inventory_pb";
import {
  PaymentCapturedSchema,
  PaymentDeclinedSchema,
  PaymentRefundedSchema,
} from "@meshmart/proto/payments/v1/events_pb";
import { ShipmentBookedSchema, ShipmentCancelledSchema, ShipmentFailedSchema } from "@meshmart/proto/shipping/v1/events_pb";
import { ShipmentFailureReason } from "@meshmart/proto/shipping/v1/shipping_pb";
import type { OrderSaga } from "./order-saga.ts";

// Each handler locks only its order's row (the event's key): they may share a transaction.
const batchable = { batchable: true };

export function registerSagaEvents(consumer: EventConsumer, saga: OrderSaga): void {
  consumer
    .on(StockReservedSchema, (event, context) => saga.handle(context, event.orderId, { type: "StockReserved" }), batchable)
    .on(StockRejectedSchema, (event, context) =>
      saga.handle(context, event.orderId, {
        type: "StockRejected",
        detail:
          event.rejections
            .map((r) => `${r.productId}: ${StockRejectionReason[r.reason]} (requested ${r.requested}, available ${r.available})`)
            .join("; ") || "stock rejected",
      }),
      batchable,
    )
    .on(StockCommittedSchema, (event, context) => saga.handle(context, event.orderId, { type: "StockCommitted" }), batchable)
    .on(StockReleasedSchema, (event, context) => saga.handle(context, event.orderId, { type: "StockReleased" }), batchable)
    .on(PaymentCapturedSchema, (event, context) => saga.handle(context, event.orderId, { type: "PaymentCaptured" }), batchable)
    .on(PaymentDeclinedSchema, (event, context) =>
      saga.handle(context, event.orderId, { type: "PaymentDeclined", detail: event.message || "payment declined" }),
      batchable,
    )
    .on(PaymentRefundedSchema, (event, context) => saga.handle(context, event.orderId, { type: "PaymentRefunded" }), batchable)
    .on(ShipmentBookedSchema, (event, context) => saga.handle(context, event.orderId, { type: "ShipmentBooked" }), batchable)
    .on(ShipmentFailedSchema, (event, context) =>
      saga.handle(context, event.orderId, {
        type: "ShipmentFailed",
        detail: `${ShipmentFailureReason[event.reason] ?? "UNSPECIFIED"}: ${event.message || "shipment failed"}`,
      }),
      batchable,
    )
    .on(ShipmentCancelledSchema, (event, context) => saga.handle(context, event.orderId, { type: "ShipmentCancelled" }), batchable);
}
