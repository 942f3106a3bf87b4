// The events that move the saga: inventory's and payments' answers, as saga events for the order they name.
import type { CloudEventAttributes, EventConsumer } from "@meshmart/platform";
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
import type { OrderSaga } from "./order-saga.ts";

// Each handler locks only its order's row (the event's key): they may share a transaction.
const batchable = { batchable: true };

/** The timeline's cause of a saga event: the CloudEvent that delivered it. */
const causeOf = (event: CloudEventAttributes) => `${event.type} ${event.id}`;

export function registerSagaEvents(consumer: EventConsumer, saga: OrderSaga): void {
  consumer
    .on(StockReservedSchema, (data, { tx, event }) => saga.handle(tx, data.orderId, { type: "StockReserved" }, causeOf(event)), batchable)
    .on(
      StockRejectedSchema,
      (data, { tx, event }) =>
        saga.handle(
          tx,
          data.orderId,
          {
            type: "StockRejected",
            detail:
              data.rejections
                .map((r) => `${r.productId}: ${StockRejectionReason[r.reason]} (requested ${r.requested}, available ${r.available})`)
                .join("; ") || "stock rejected",
          },
          causeOf(event),
        ),
      batchable,
    )
    .on(StockCommittedSchema, (data, { tx, event }) => saga.handle(tx, data.orderId, { type: "StockCommitted" }, causeOf(event)), batchable)
    .on(StockReleasedSchema, (data, { tx, event }) => saga.handle(tx, data.orderId, { type: "StockReleased" }, causeOf(event)), batchable)
    .on(PaymentCapturedSchema, (data, { tx, event }) => saga.handle(tx, data.orderId, { type: "PaymentCaptured" }, causeOf(event)), batchable)
    .on(
      PaymentDeclinedSchema,
      (data, { tx, event }) => saga.handle(tx, data.orderId, { type: "PaymentDeclined", detail: data.message || "payment declined" }, causeOf(event)),
      batchable,
    )
    .on(PaymentRefundedSchema, (data, { tx, event }) => saga.handle(tx, data.orderId, { type: "PaymentRefunded" }, causeOf(event)), batchable);
}
