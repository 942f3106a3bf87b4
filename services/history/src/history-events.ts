// Event handlers: every event the projection reads, folded into its order's
// summary (summary-fold.ts) or its product's row. Each runs in the consumer's
// transaction with the inbox record, so a redelivered event id is skipped;
// the fold makes the same event under a new id, or one that arrives out of
// order, change nothing it should not. Order events lock only their order
// (an advisory lock on its id) and product events only their product's row,
// so all of them may share a transaction (batchable). PaymentRequested and
// ShipmentRequested have no handler: the consumer counts them ignored.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { meshmartAttributes, topicOf, type EventConsumer, type EventContext } from "@meshmart/platform";
import { ProductCreatedSchema, ProductDeletedSchema, ProductPriceChangedSchema } from "@meshmart/proto/catalog/v1/events_pb";
import type { Money } from "@meshmart/proto/common/v1/money_pb";
import { OrderCancelledSchema, OrderConfirmedSchema, OrderPlacedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { PaymentCapturedSchema, PaymentDeclinedSchema, PaymentRefundedSchema } from "@meshmart/proto/payments/v1/events_pb";
import { ShipmentBookedSchema, ShipmentCancelledSchema, ShipmentFailedSchema } from "@meshmart/proto/shipping/v1/events_pb";
import * as store from "./history-store.ts";
import { foldEvent, type HistoryEvent, type MoneyMinor } from "./summary-fold.ts";

/** Told, after each commit, of every event applied: its topic (unprefixed) and CloudEvent time. */
export type AppliedListener = (topic: string, eventTime: Date) => void;

const batchable = { batchable: true };

export function registerHistoryEvents(consumer: EventConsumer, onApplied: AppliedListener): void {
  const order = <Desc extends DescMessage>(schema: Desc, toEvent: (data: MessageShape<Desc>) => { orderId: string; event: HistoryEvent }) =>
    consumer.on(
      schema,
      async (data, context) => {
        const { orderId, event } = toEvent(data);
        context.annotate({ [meshmartAttributes.orderId]: orderId });
        await applyToOrder(context, orderId, event);
        applied(context, schema, onApplied);
      },
      batchable,
    );

  order(OrderPlacedSchema, (e) => ({
    orderId: e.orderId,
    event: {
      kind: "OrderPlaced",
      customerId: e.customerId,
      total: money(e.total) ?? { currencyCode: "", unitsMinor: 0n },
      lines: e.items.map((item) => ({
        productId: item.productId,
        quantity: item.quantity,
        unitPrice: money(item.unitPrice) ?? { currencyCode: "", unitsMinor: 0n },
      })),
    },
  }));
  order(OrderConfirmedSchema, (e) => ({ orderId: e.orderId, event: { kind: "OrderConfirmed", customerId: e.customerId, total: money(e.total) } }));
  order(OrderCancelledSchema, (e) => ({
    orderId: e.orderId,
    event: { kind: "OrderCancelled", customerId: e.customerId, reason: CancelReason[e.reason] ?? "UNSPECIFIED", message: e.message },
  }));
  order(PaymentCapturedSchema, (e) => ({ orderId: e.orderId, event: { kind: "PaymentCaptured" } }));
  order(PaymentDeclinedSchema, (e) => ({ orderId: e.orderId, event: { kind: "PaymentDeclined" } }));
  order(PaymentRefundedSchema, (e) => ({ orderId: e.orderId, event: { kind: "PaymentRefunded" } }));
  order(ShipmentBookedSchema, (e) => ({ orderId: e.orderId, event: { kind: "ShipmentBooked", carrier: e.carrier, trackingNumber: e.trackingNumber } }));
  order(ShipmentFailedSchema, (e) => ({ orderId: e.orderId, event: { kind: "ShipmentFailed" } }));
  order(ShipmentCancelledSchema, (e) => ({ orderId: e.orderId, event: { kind: "ShipmentCancelled" } }));

  consumer
    .on(
      ProductCreatedSchema,
      async (e, context) => {
        await store.productCreated(context.tx, { productId: e.productId, sku: e.sku, name: e.name, price: money(e.price) }, eventTime(context));
        applied(context, ProductCreatedSchema, onApplied);
      },
      batchable,
    )
    .on(
      ProductPriceChangedSchema,
      async (e, context) => {
        const price = money(e.newPrice);
        if (price) await store.productPriceChanged(context.tx, e.productId, price, eventTime(context));
        applied(context, ProductPriceChangedSchema, onApplied);
      },
      batchable,
    )
    .on(
      ProductDeletedSchema,
      async (e, context) => {
        await store.productDeleted(context.tx, e.productId, e.sku);
        applied(context, ProductDeletedSchema, onApplied);
      },
      batchable,
    );
}

/** Folds the event into the order's summary under the order's lock; writes only what changed. */
async function applyToOrder(context: EventContext, orderId: string, event: HistoryEvent): Promise<void> {
  const { tx, logger } = context;
  await store.lockOrder(tx, orderId);
  const before = await store.readState(tx, orderId);
  const { state, changed } = foldEvent(before, event, eventTime(context));
  if (!changed) {
    logger.debug({ orderId, kind: event.kind }, "event changes nothing in the summary");
    return;
  }
  await store.saveState(tx, orderId, state);
  if (event.kind === "OrderPlaced" && !before?.placed) await store.insertLines(tx, orderId, event.lines);
}

function applied(context: EventContext, schema: DescMessage, onApplied: AppliedListener): void {
  const time = eventTime(context);
  context.tx.afterCommit(() => onApplied(topicOf(schema), time));
}

/** The event's CloudEvent time (when it happened); the time it is applied if that is unreadable. */
function eventTime(context: EventContext): Date {
  const time = new Date(context.event.time);
  return Number.isNaN(time.getTime()) ? new Date() : time;
}

function money(value: Money | undefined): MoneyMinor | null {
  return value ? { currencyCode: value.currencyCode, unitsMinor: value.unitsMinor } : null;
}
