// Event handlers: the payments step of the order saga and its compensation.
// Each runs in the consumer's transaction (with the inbox record), holding the
// order's lock, so a capture and a cancel of one order never interleave.
//
// The inbox dedups event ids; the order id dedups the rest: a PaymentRequested
// for an order that already has a payment (a redelivery under a new event id)
// changes nothing and emits nothing.
import { isCancelled, meshmartAttributes, recordCancellation, type EventConsumer, type EventContext } from "@meshmart/platform";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { OrderCancelledSchema, PaymentRequestedSchema, type OrderCancelled, type PaymentRequested } from "@meshmart/proto/orders/v1/events_pb";
import { PaymentCapturedSchema, PaymentDeclinedSchema } from "@meshmart/proto/payments/v1/events_pb";
import { DeclineReason, PaymentStatus } from "@meshmart/proto/payments/v1/payments_pb";
import type { ChargeResult, PaymentProvider } from "./payment-provider.ts";
import { refundPayment } from "./payment-refund.ts";
import * as store from "./payment-store.ts";

export function registerPaymentEvents(consumer: EventConsumer, provider: PaymentProvider): void {
  // Both lock only the order of the event (an advisory lock on its id): they may share a transaction.
  consumer
    .on(
      PaymentRequestedSchema,
      (request, context) => {
        context.annotate({ [meshmartAttributes.orderId]: request.orderId });
        return capture(request, context, provider);
      },
      { batchable: true },
    )
    .on(
      OrderCancelledSchema,
      (cancelled, context) => {
        context.annotate({ [meshmartAttributes.orderId]: cancelled.orderId });
        return compensate(cancelled, context, provider);
      },
      { batchable: true },
    );
}

/** PaymentRequested: authorize and capture through the provider, or decline; once per order. */
async function capture(request: PaymentRequested, { tx, outbox, logger }: EventContext, provider: PaymentProvider): Promise<void> {
  const { orderId, customerId, amount } = request;
  // The proto requires it; without an amount there is nothing sane to charge (retried, then dead-lettered).
  if (!amount) throw new Error(`PaymentRequested for order ${orderId} has no amount`);
  await store.lockOrder(tx, orderId);

  const existing = await store.getPayment(tx, orderId);
  if (existing) {
    logger.info({ orderId, status: PaymentStatus[existing.status] }, "order already has a payment: request ignored");
    return;
  }

  // A cancel that got here first wins: nothing is charged.
  const result: ChargeResult = (await isCancelled(tx, orderId))
    ? { approved: false, reason: DeclineReason.ORDER_CANCELLED, message: "the order was cancelled before the payment was processed" }
    : await provider.charge({ orderId, currencyCode: amount.currencyCode, amountMinor: amount.unitsMinor });

  const base = { orderId, customerId, currencyCode: amount.currencyCode, amountMinor: amount.unitsMinor };
  if (result.approved) {
    const payment = await store.insertPayment(tx, { ...base, status: PaymentStatus.CAPTURED, providerReference: result.reference });
    await outbox.emit(tx, PaymentCapturedSchema, { paymentId: payment.id, orderId, amount }, { key: orderId });
    logger.info({ orderId, amountMinor: amount.unitsMinor.toString() }, "payment captured");
  } else {
    const payment = await store.insertPayment(tx, {
      ...base,
      status: PaymentStatus.DECLINED,
      declineReason: result.reason,
      declineMessage: result.message,
    });
    await outbox.emit(
      tx,
      PaymentDeclinedSchema,
      { paymentId: payment.id, orderId, reason: result.reason, message: result.message },
      { key: orderId },
    );
    logger.info({ orderId, reason: DeclineReason[result.reason] }, "payment declined");
  }
}

/** OrderCancelled: refund a standing capture; either way remember the cancel so a late request is declined. */
async function compensate(cancelled: OrderCancelled, { tx, outbox, logger }: EventContext, provider: PaymentProvider): Promise<void> {
  const { orderId } = cancelled;
  await store.lockOrder(tx, orderId);
  const reason = CancelReason[cancelled.reason] ?? "UNSPECIFIED";
  await recordCancellation(tx, orderId, reason, cancelled.message);

  const payment = await store.getPayment(tx, orderId);
  if (!payment) {
    logger.info({ orderId }, "order cancelled before any payment: a later request will be declined");
    return;
  }
  const after = await refundPayment(tx, outbox, provider, payment, `order cancelled: ${reason}`);
  if (after !== payment) logger.info({ orderId }, "capture refunded after the order was cancelled");
}
