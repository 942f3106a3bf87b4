// Event handlers: one notification per order outcome. The inbox skips a
// redelivered event id; the (order_id, kind) constraint skips the same outcome
// arriving under a new event id, so a customer is told once.
import { meshmartAttributes, type EventConsumer, type EventContext } from "@meshmart/platform";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { NotificationKind } from "@meshmart/proto/notifications/v1/notifications_pb";
import { cancelledText, confirmedText, type NotificationText } from "./notification-text.ts";
import * as store from "./notification-store.ts";

export function registerNotificationEvents(consumer: EventConsumer): void {
  // An insert keyed by the order: they may share a transaction.
  consumer
    .on(OrderConfirmedSchema, (event, context) => record(context, event, NotificationKind.ORDER_CONFIRMED, confirmedText(event)), { batchable: true })
    .on(OrderCancelledSchema, (event, context) => record(context, event, NotificationKind.ORDER_CANCELLED, cancelledText(event)), { batchable: true });
}

async function record(
  { tx, event, logger, annotate }: EventContext,
  order: { orderId: string; customerId: string },
  kind: store.NewNotification["kind"],
  text: NotificationText,
): Promise<void> {
  annotate({ [meshmartAttributes.orderId]: order.orderId });
  const created = await store.insertNotification(tx, { ...order, kind, ...text, eventId: event.id });
  if (created) logger.info({ orderId: order.orderId, kind: NotificationKind[kind] }, "notification recorded");
  else logger.info({ orderId: order.orderId, kind: NotificationKind[kind] }, "order already notified of this outcome");
}
