// The edge of the order saga; saga-decision.ts decides. Every event (or RPC)
// runs in its own transaction with the order row locked: the shell loads the
// row, asks decide() what to do, writes the changes and emits the follow-up
// events through the outbox in that same transaction, so a step and its event
// commit together or not at all. decide() makes late and repeated events
// harmless; the lock keeps two events of one order from interleaving.
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

  /** Locks the order and applies `event` to it; an event for an unknown order is logged and dropped. */
  async handle(tx: Transaction, orderId: string, event: SagaEvent, cause: string): Promise<void> {
    const row = await store.getOrder(tx, orderId, true);
    if (!row) {
      this.logger.warn({ orderId }, "saga event for an unknown order ignored");
      return;
    }
    await this.apply(tx, row, event, cause);
  }

  /**
   * Applies `event` to an order that `tx` holds (locked, or inserted by it):
   * the row's changes, the entry on its timeline, then the emits. `cause` says
   * what delivered the event, for the timeline.
   */
  async apply(tx: Transaction, row: store.OrderRow, event: SagaEvent, cause: string): Promise<Applied> {
    const decision = decide(store.toSagaState(row), event, row.read_at);
    const { changes, emits, refusal } = decision;
    if (refusal) return { row, refusal };
    const after = Object.keys(changes).length > 0 ? await store.updateOrder(tx, row, changes) : row;
    await appendTimeline(tx, row.id, { at: row.read_at, event, cause, decision, after: { status: after.status, step: after.saga_step } });
    for (const follow of emits) await this.emit(tx, follow);
    this.countOutcome(row.id, changes);
    return { row: after };
  }

  private countOutcome(orderId: string, changes: SagaChanges): void {
    if (changes.status === "CONFIRMED") this.outcomes.inc({ outcome: "confirmed", reason: "" });
    if (changes.status === "CANCELLED") {
      this.outcomes.inc({ outcome: "cancelled", reason: changes.cancelReason ?? "" });
      this.logger.info({ orderId, reason: changes.cancelReason }, "order cancelled");
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
      case "OrderConfirmed": {
        const { orderId, customerId, total } = event;
        await this.outbox.emit(tx, OrderConfirmedSchema, { orderId, customerId, total }, key);
        return;
      }
      case "OrderCancelled": {
        const { orderId, customerId, reason, message, stockReserved, paymentCaptured } = event;
        await this.outbox.emit(
          tx,
          OrderCancelledSchema,
          { orderId, customerId, reason: CancelReason[reason], message, stockReserved, paymentCaptured },
          key,
        );
        return;
      }
    }
  }
}
