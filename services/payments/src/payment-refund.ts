// A full refund of an order's capture: shared by the OrderCancelled
// compensation and the Refund RPC. Idempotent: a payment with nothing left
// to refund (already refunded, declined, never captured) comes back unchanged
// and no event is emitted.
import type { Outbox, Transaction } from "@meshmart/platform";
import { PaymentRefundedSchema } from "@meshmart/proto/payments/v1/events_pb";
import type { Payment } from "@meshmart/proto/payments/v1/payments_pb";
import type { PaymentProvider } from "./payment-provider.ts";
import * as store from "./payment-store.ts";

export function refundable(payment: Payment): bigint {
  return (payment.capturedAmount?.unitsMinor ?? 0n) - (payment.refundedAmount?.unitsMinor ?? 0n);
}

/** Call with the order locked (store.lockOrder) in `tx`; emits PaymentRefunded when it refunds. */
export async function refundPayment(
  tx: Transaction,
  outbox: Outbox,
  provider: PaymentProvider,
  payment: Payment,
  reason: string,
): Promise<Payment> {
  const amountMinor = refundable(payment);
  if (amountMinor <= 0n) return payment;
  const chargeReference = await store.providerReference(tx, payment.orderId);
  const refundReference = await provider.refund(chargeReference ?? "", amountMinor);
  const refunded = await store.markRefunded(tx, payment.orderId, refundReference, reason);
  await outbox.emit(
    tx,
    PaymentRefundedSchema,
    {
      paymentId: refunded.id,
      orderId: refunded.orderId,
      amount: { currencyCode: refunded.amount?.currencyCode ?? "", unitsMinor: amountMinor },
    },
    { key: refunded.orderId },
  );
  return refunded;
}
