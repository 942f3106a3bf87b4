// Event handlers: the shipping step of the order saga and its compensation.
// Each runs in the consumer's transaction (with the inbox record), holding the
// order's lock, so a booking and a cancel of one order never interleave.
//
// The inbox dedups event ids; the order id dedups the rest: a
// ShipmentRequested for an order that already has a shipment (a redelivery
// under a new event id) changes nothing and emits nothing.
import { isCancelled, meshmartAttributes, recordCancellation, type EventConsumer, type EventContext } from "@meshmart/platform";
import { CancelReason } from "@meshmart/proto/orders/v1/orders_pb";
import { OrderCancelledSchema, ShipmentRequestedSchema, type OrderCancelled, type ShipmentRequested } from "@meshmart/proto/orders/v1/events_pb";
import { ShipmentBookedSchema, ShipmentCancelledSchema, ShipmentFailedSchema } from "@meshmart/proto/shipping/v1/events_pb";
import { ShipmentFailureReason, ShipmentStatus } from "@meshmart/proto/shipping/v1/shipping_pb";
import type { BookingResult, Carrier } from "./carrier.ts";
import * as store from "./shipment-store.ts";

export function registerShipmentEvents(consumer: EventConsumer, carrier: Carrier): void {
  // Both lock only the order of the event (an advisory lock on its id): they may share a transaction.
  consumer
    .on(
      ShipmentRequestedSchema,
      (request, context) => {
        context.annotate({ [meshmartAttributes.orderId]: request.orderId });
        return book(request, context, carrier);
      },
      { batchable: true },
    )
    .on(
      OrderCancelledSchema,
      (cancelled, context) => {
        context.annotate({ [meshmartAttributes.orderId]: cancelled.orderId });
        return compensate(cancelled, context, carrier);
      },
      { batchable: true },
    );
}

/** ShipmentRequested: book with the carrier, or fail; once per order. */
async function book(request: ShipmentRequested, { tx, outbox, logger }: EventContext, carrier: Carrier): Promise<void> {
  const { orderId, customerId } = request;
  await store.lockOrder(tx, orderId);

  const existing = await store.getShipment(tx, orderId);
  if (existing) {
    logger.info({ orderId, status: ShipmentStatus[existing.status] }, "order already has a shipment: request ignored");
    return;
  }

  const itemCount = request.items.reduce((sum, item) => sum + item.quantity, 0);
  // A cancel that got here first wins: nothing is booked.
  const result: BookingResult = (await isCancelled(tx, orderId))
    ? { booked: false, reason: ShipmentFailureReason.ORDER_CANCELLED, message: "the order was cancelled before the shipment was booked" }
    : await carrier.book({ orderId, itemCount }).catch((err: Error): BookingResult => {
        // A carrier that errors could not book: the order is cancelled and compensated now, not
        // retried until its saga deadline passes. (A real carrier keyed by order id would be asked
        // to cancel here, in case the failed call did book.)
        logger.warn({ orderId, err: err.message }, "the carrier failed the booking");
        return { booked: false, reason: ShipmentFailureReason.CARRIER_UNAVAILABLE, message: `the carrier failed: ${err.message}` };
      });

  const base = { orderId, customerId, itemCount };
  if (result.booked) {
    const shipment = await store.insertShipment(tx, {
      ...base,
      status: ShipmentStatus.BOOKED,
      carrier: result.carrier,
      trackingNumber: result.trackingNumber,
    });
    await outbox.emit(
      tx,
      ShipmentBookedSchema,
      { shipmentId: shipment.id, orderId, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber },
      { key: orderId },
    );
    logger.info({ orderId, itemCount }, "shipment booked");
  } else {
    const shipment = await store.insertShipment(tx, {
      ...base,
      status: ShipmentStatus.FAILED,
      failureReason: result.reason,
      failureMessage: result.message,
    });
    await outbox.emit(
      tx,
      ShipmentFailedSchema,
      { shipmentId: shipment.id, orderId, reason: result.reason, message: result.message },
      { key: orderId },
    );
    logger.info({ orderId, reason: ShipmentFailureReason[result.reason] }, "shipment failed");
  }
}

/** OrderCancelled: cancel a booked shipment; either way remember the cancel so a late request fails. */
async function compensate(cancelled: OrderCancelled, { tx, outbox, logger }: EventContext, carrier: Carrier): Promise<void> {
  const { orderId } = cancelled;
  await store.lockOrder(tx, orderId);
  const reason = CancelReason[cancelled.reason] ?? "UNSPECIFIED";
  await recordCancellation(tx, orderId, reason, cancelled.message);

  const shipment = await store.getShipment(tx, orderId);
  if (!shipment) {
    logger.info({ orderId }, "order cancelled before any shipment: a later request will fail");
    return;
  }
  // FAILED booked nothing; CANCELLED was already undone (a second OrderCancelled).
  if (shipment.status !== ShipmentStatus.BOOKED) return;
  await carrier.cancel(shipment.trackingNumber);
  const after = await store.markCancelled(tx, orderId);
  await outbox.emit(tx, ShipmentCancelledSchema, { shipmentId: after.id, orderId }, { key: orderId });
  logger.info({ orderId }, "shipment cancelled after the order was cancelled");
}
