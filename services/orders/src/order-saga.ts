// The order saga, orchestrated by orders. Every step runs in the transaction
// of the event (or RPC) that triggers it, with the order row locked, and emits
// its follow-up event through the outbox in that same transaction. Steps are
// idempotent: an event that no longer applies (the order moved on) only
// records what it tells, so late and repeated events are harmless.
//
//   PlaceOrder ──OrderPlaced──▶ inventory
//   StockReserved ──PaymentRequested──▶ payments      StockRejected ──▶ cancel
//   PaymentCaptured ──OrderConfirmed──▶ inventory commits, notifications
//   PaymentDeclined / deadline / CancelOrder ──OrderCancelled──▶ inventory releases, payments refunds
//   StockCommitted, StockReleased, PaymentRefunded ──▶ the saga ends
import { Counter, Gauge, type Registry } from "prom-client";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
  PaymentRequestedSchema,
} from "@meshmart/proto/orders/v1/events_pb";
import type { Database, Logger, Outbox, Transaction } from "@meshmart/platform";
import * as store from "./order-store.ts";

export class OrderSaga {
  private readonly outcomes: Counter;

  constructor(
    private readonly outbox: Outbox,
    private readonly logger: Logger,
    registry: Registry,
    db: Database,
  ) {
    this.outcomes = new Counter({
      name: "saga_outcomes_total",
      help: "Orders that reached a final status, by outcome and cancel reason.",
      labelNames: ["outcome", "reason"],
      registers: [registry],
    });
    new Gauge({
      name: "saga_pending",
      help: "Sagas that have not ended (something is outstanding).",
      registers: [registry],
      async collect() {
        this.set(await store.countPendingSagas(db));
      },
    });
  }

  /** Emits OrderPlaced for an order just inserted in `tx`. */
  async placed(tx: Transaction, row: store.OrderRow): Promise<void> {
    const order = store.toOrder(row);
    await this.outbox.emit(
      tx,
      OrderPlacedSchema,
      {
        orderId: order.id,
        customerId: order.customerId,
        items: order.items,
        total: order.total,
        deadline: timestampFromDate(row.deadline),
      },
      { key: order.id },
    );
  }

  async stockReserved(tx: Transaction, orderId: string): Promise<void> {
    const row = await this.lock(tx, orderId);
    if (!row) return;
    if (row.status === "PENDING" && row.saga_step === "AWAITING_STOCK") {
      await store.updateOrder(tx, orderId, { stock_reserved: true, saga_step: "AWAITING_PAYMENT" });
      await this.outbox.emit(
        tx,
        PaymentRequestedSchema,
        { orderId, customerId: row.customer_id, amount: { currencyCode: row.currency_code, unitsMinor: BigInt(row.total_minor) } },
        { key: orderId },
      );
    } else {
      // Cancelled meanwhile: inventory releases on OrderCancelled, which follows OrderPlaced.
      await store.updateOrder(tx, orderId, { stock_reserved: true });
    }
  }

  async stockRejected(tx: Transaction, orderId: string, detail: string): Promise<void> {
    const row = await this.lock(tx, orderId);
    if (row?.status === "PENDING") await this.cancel(tx, row, "OUT_OF_STOCK", detail);
  }

  async paymentCaptured(tx: Transaction, orderId: string): Promise<void> {
    const row = await this.lock(tx, orderId);
    if (!row) return;
    if (row.status === "PENDING") {
      const confirmed = await store.updateOrder(tx, orderId, {
        status: "CONFIRMED",
        payment_captured: true,
        saga_step: "COMPLETING",
      });
      const order = store.toOrder(confirmed);
      await this.outbox.emit(
        tx,
        OrderConfirmedSchema,
        { orderId, customerId: order.customerId, total: order.total },
        { key: orderId },
      );
      this.outcomes.inc({ outcome: "confirmed", reason: "" });
    } else if (row.status === "CANCELLED") {
      // A capture that landed after the cancel: payments refunds it on OrderCancelled; wait for that.
      await store.updateOrder(tx, orderId, {
        payment_captured: true,
        saga_step: row.payment_refunded ? row.saga_step : "COMPENSATING",
      });
    }
  }

  async paymentDeclined(tx: Transaction, orderId: string, detail: string): Promise<void> {
    const row = await this.lock(tx, orderId);
    if (row?.status === "PENDING") await this.cancel(tx, row, "PAYMENT_DECLINED", detail);
  }

  async stockCommitted(tx: Transaction, orderId: string): Promise<void> {
    const row = await this.lock(tx, orderId);
    if (!row) return;
    await store.updateOrder(tx, orderId, {
      stock_committed: true,
      saga_step: row.status === "CONFIRMED" ? "ENDED" : row.saga_step,
    });
  }

  async stockReleased(tx: Transaction, orderId: string): Promise<void> {
    const row = await this.lock(tx, orderId);
    if (!row) return;
    await this.compensated(tx, { ...row, stock_released: true }, { stock_released: true });
  }

  async paymentRefunded(tx: Transaction, orderId: string): Promise<void> {
    const row = await this.lock(tx, orderId);
    if (!row) return;
    await this.compensated(tx, { ...row, payment_refunded: true }, { payment_refunded: true });
  }

  /** Cancels a PENDING order and asks for the compensations (OrderCancelled). */
  async cancel(tx: Transaction, row: store.OrderRow, reason: store.ReasonName, message: string): Promise<store.OrderRow> {
    const cancelled = await store.updateOrder(tx, row.id, {
      status: "CANCELLED",
      cancel_reason: reason,
      cancel_message: message.slice(0, 1000),
      saga_step: "COMPENSATING",
    });
    await this.outbox.emit(
      tx,
      OrderCancelledSchema,
      {
        orderId: row.id,
        customerId: row.customer_id,
        reason: CancelReason[reason],
        message,
        stockReserved: row.stock_reserved,
        paymentCaptured: row.payment_captured,
      },
      { key: row.id },
    );
    this.outcomes.inc({ outcome: "cancelled", reason });
    this.logger.info({ orderId: row.id, reason }, "order cancelled");
    return cancelled;
  }

  /** A cancelled order's saga ends once stock is released and any capture is refunded. */
  private async compensated(tx: Transaction, row: store.OrderRow, changes: store.SagaChanges): Promise<void> {
    const done = row.status === "CANCELLED" && row.stock_released && (!row.payment_captured || row.payment_refunded);
    await store.updateOrder(tx, row.id, { ...changes, saga_step: done ? "ENDED" : row.saga_step });
  }

  private async lock(tx: Transaction, orderId: string): Promise<store.OrderRow | undefined> {
    const row = await store.getOrder(tx, orderId, true);
    if (!row) this.logger.warn({ orderId }, "saga event for an unknown order ignored");
    return row;
  }
}
