// The events that move the saga: inventory's and payments' answers.
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
import type { OrderSaga } from "./order-saga.ts";

export function registerSagaEvents(consumer: EventConsumer, saga: OrderSaga): void {
  consumer
    .on(StockReservedSchema, (event, { tx }) => saga.stockReserved(tx, event.orderId))
    .on(StockRejectedSchema, (event, { tx }) =>
      saga.stockRejected(
        tx,
        event.orderId,
        event.rejections
          .map((r) => `${r.productId}: ${StockRejectionReason[r.reason]} (requested ${r.requested}, available ${r.available})`)
          .join("; ") || "stock rejected",
      ),
    )
    .on(StockCommittedSchema, (event, { tx }) => saga.stockCommitted(tx, event.orderId))
    .on(StockReleasedSchema, (event, { tx }) => saga.stockReleased(tx, event.orderId))
    .on(PaymentCapturedSchema, (event, { tx }) => saga.paymentCaptured(tx, event.orderId))
    .on(PaymentDeclinedSchema, (event, { tx }) => saga.paymentDeclined(tx, event.orderId, event.message || "payment declined"))
    .on(PaymentRefundedSchema, (event, { tx }) => saga.paymentRefunded(tx, event.orderId));
}
