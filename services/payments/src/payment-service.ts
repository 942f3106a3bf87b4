// PaymentService handlers: reads for audit (the invariant checker lists every
// payment) and Refund, the operator's compensation, idempotent by order id.
import type { ServiceImpl } from "@connectrpc/connect";
import { PaymentService } from "@meshmart/proto/payments/v1/payments_pb";
import { decodePageToken, notFound, pageTokenPatterns, pageSize, type Database, type Outbox } from "@meshmart/platform";
import type { PaymentProvider } from "./payment-provider.ts";
import { refundPayment } from "./payment-refund.ts";
import * as store from "./payment-store.ts";

export function createPaymentService(db: Database, outbox: Outbox, provider: PaymentProvider): ServiceImpl<typeof PaymentService> {
  return {
    async getPayment({ orderId }) {
      const payment = await store.getPayment(db, orderId);
      if (!payment) throw notFound("payment of order", orderId);
      return { payment };
    },

    async listPayments(req) {
      const filter = { status: req.status || undefined };
      const after = decodePageToken(req.pageToken, pageTokenPatterns.id);
      const { payments, more } = await store.listPayments(db, filter, pageSize(req.pageSize, 500), after);
      const last = payments.at(-1);
      return { payments, nextPageToken: more && last ? last.orderId : "" };
    },

    async refund({ orderId, reason }) {
      const payment = await db.transaction(async (tx) => {
        await store.lockOrder(tx, orderId);
        const payment = await store.getPayment(tx, orderId);
        if (!payment) throw notFound("payment of order", orderId);
        return refundPayment(tx, outbox, provider, payment, reason || "refund requested");
      });
      return { payment };
    },
  };
}
