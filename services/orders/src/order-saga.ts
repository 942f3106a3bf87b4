// The edge of the order saga; saga-decision.ts decides. Every event (or RPC)
// runs in its own transaction with the order row locked: the shell loads the
// row, asks decide() what to do, writes the changes and emits the follow-up
// events through the outbox in that same transaction, so a step and its event
// commit together or not at all. decide() makes late and repeated events
// harmless; the lock keeps two events of one order from interleaving.
// Each step is a span named after its event ("saga StockReserved") with the
// order id on it; outcomes are counted and timed only once the transaction
// has committed (a retried transaction would count twice otherwise).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
  PaymentRequestedSchema,
  ShipmentRequestedSchema,
} from "@meshmart/proto/orders/v1/events_pb";
import { inSpan, meshmartAttributes, type Database, type EventContext, type Logger, type Outbox, type Transaction } from "@meshmart/platform";
import * as store from "./order-store.ts";
import { appendTimeline } from "./order-timeline.ts";
import { decide, type SagaChanges, type SagaEmit, type SagaEvent } from "./saga-decision.ts";

export interface Applied {
  /** The order as it is after the event. */
  row: store.OrderRow;
  /** Why the event was refused (nothing was written then). */
  refusal?: string;
}

export class OrderSaga {
  private readonly outcomes: Counter;
  private readonly duration: Histogram;

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
    this.duration = new Histogram({
      name: "saga_duration_seconds",
      help: "Time from PlaceOrder to the order's final status, by outcome (confirmed, cancelled).",
      labelNames: ["outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    new Gauge({
      name: "saga_deadline_sweeper_lag_seconds",
      help: "How long the oldest PENDING order has been past its deadline without being cancelled (0 when none is).",
      registers: [registry],
      async collect() {
        this.set(await store.oldestMissedDeadlineSeconds(db));
      },
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

  /** Locks the order and applies `event` to it; an event for an unknown order is logged and dropped. */
  async handle({ tx, annotate, event: delivered }: Pick<EventContext, "tx" | "annotate" | "event">, orderId: string, event: SagaEvent): Promise<void> {
    annotate({ [meshmartAttributes.orderId]: orderId });
    const row = await store.getOrder(tx, orderId, true);
    if (!row) {
      this.logger.warn({ orderId }, "saga event for an unknown order ignored");
      return;
    }
    await this.apply(tx, row, event, `${delivered.type} ${delivered.id}`);
  }

  /**
   * Applies `event` to an order that `tx` holds (locked, or inserted by it):
   * the row's changes, the entry on its timeline, then the emits. `cause` says
   * what delivered the event, for the timeline.
   */
  async apply(tx: Transaction, row: store.OrderRow, event: SagaEvent, cause: string): Promise<Applied> {
    const attributes = { [meshmartAttributes.orderId]: row.id, [meshmartAttributes.sagaEvent]: event.type };
    return inSpan(`saga ${event.type}`, { attributes }, async (span) => {
      const decision = decide(store.toSagaState(row), event, row.read_at);
      const { changes, emits, refusal } = decision;
      if (refusal) {
        span.setAttribute("meshmart.saga.refusal", refusal);
        return { row, refusal };
      }
      let after = row;
      if (Object.keys(changes).length > 0) {
        const updated = await store.updateOrder(tx, row, changes);
        // The deadline passed between reading the clock and confirming (a saturated database): decide again, on the
        // clock now, which cancels. Nothing was written or emitted yet.
        if (!updated) {
          span.setAttribute("meshmart.saga.redecided", true);
          return this.apply(tx, (await store.getOrder(tx, row.id, true))!, event, cause);
        }
        after = updated;
      }
      await appendTimeline(tx, row.id, { at: row.read_at, event, cause, decision, after: { status: after.status, step: after.saga_step } });
      for (const follow of emits) await this.emit(tx, follow);
      span.setAttributes({ [meshmartAttributes.sagaStatus]: after.status, "meshmart.saga.step": after.saga_step });
      tx.afterCommit(() => this.countOutcome(row, changes));
      return { row: after };
    });
  }

  private countOutcome(row: store.OrderRow, changes: SagaChanges): void {
    const seconds = (Date.now() - row.created_at.getTime()) / 1000;
    if (changes.status === "CONFIRMED") {
      this.outcomes.inc({ outcome: "confirmed", reason: "" });
      this.duration.observe({ outcome: "confirmed" }, seconds);
    }
    if (changes.status === "CANCELLED") {
      this.outcomes.inc({ outcome: "cancelled", reason: changes.cancelReason ?? "" });
      this.duration.observe({ outcome: "cancelled" }, seconds);
      this.logger.info({ orderId: row.id, reason: changes.cancelReason }, "order cancelled");
    }
  }

  private async emit(tx: Transaction, event: SagaEmit): Promise<void> {
    const key = { key: event.orderId };
    switch (event.type) {
      case "OrderPlaced": {
        const { orderId, customerId, items, total, deadline } = event;
        await this.outbox.emit(tx, OrderPlacedSchema, { orderId, customerId, items, total, deadline: timestampFromDate(deadline) }, key);
        return;
      }
      case "PaymentRequested": {
        const { orderId, customerId, amount } = event;
        await this.outbox.emit(tx, PaymentRequestedSchema, { orderId, customerId, amount }, key);
        return;
      }
      case "ShipmentRequested": {
        const { orderId, customerId, items } = event;
        await this.outbox.emit(tx, ShipmentRequestedSchema, { orderId, customerId, items }, key);
        return;
      }
      case "OrderConfirmed": {
        const { orderId, customerId, total } = event;
        await this.outbox.emit(tx, OrderConfirmedSchema, { orderId, customerId, total }, key);
        return;
      }
      case "OrderCancelled": {
        const { orderId, customerId, reason, message, stockReserved, paymentCaptured, shipmentBooked } = event;
        await this.outbox.emit(
          tx,
          OrderCancelledSchema,
          { orderId, customerId, reason: CancelReason[reason], message, stockReserved, paymentCaptured, shipmentBooked },
          key,
        );
        return;
      }
    }
  }
}
