// inventory's part of the order saga: OrderPlaced reserves, OrderConfirmed
// commits, OrderCancelled releases. Each handler runs in the transaction that
// records the event in the inbox, and always answers, even when the work was
// already done (a redelivery under another event id, or the RPC got there
// first): the saga must hear back, and its handlers take repeats in stride.
import { meshmartAttributes, type EventConsumer } from "@meshmart/platform";
import { OrderCancelledSchema, OrderConfirmedSchema, OrderPlacedSchema } from "@meshmart/proto/orders/v1/events_pb";
import * as events from "./reservation-events.ts";
import { commit, release, reserve } from "./reservations.ts";

export function registerOrderEvents(consumer: EventConsumer): void {
  consumer
    .on(OrderPlacedSchema, async ({ orderId, items }, { tx, outbox, logger, annotate }) => {
      annotate({ [meshmartAttributes.orderId]: orderId });
      const requested = items.map(({ productId, quantity }) => ({ productId, quantity }));
      const { reservation, changed } = await reserve(tx, outbox, orderId, requested);
      if (!changed) await events.emitReservationAnswer(tx, outbox, reservation);
      logger.info({ orderId, state: reservation.state, repeat: !changed }, "order stock reservation");
    })
    .on(OrderConfirmedSchema, async ({ orderId }, { tx, outbox, logger, annotate }) => {
      annotate({ [meshmartAttributes.orderId]: orderId });
      const { reservation, changed } = await commit(tx, outbox, orderId);
      if (!changed) await events.emitCommitted(tx, outbox, reservation);
      logger.info({ orderId, repeat: !changed }, "order stock committed");
    })
    .on(OrderCancelledSchema, async ({ orderId }, { tx, outbox, logger, annotate }) => {
      annotate({ [meshmartAttributes.orderId]: orderId });
      const { reservation, changed } = await release(tx, outbox, orderId);
      if (!changed) await events.emitReleased(tx, outbox, reservation);
      logger.info({ orderId, state: reservation.state, repeat: !changed }, "order stock released");
    });
}
