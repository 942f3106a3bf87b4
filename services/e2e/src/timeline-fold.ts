// The timeline check: for every order, its timeline (GetOrderTimeline) folded
// through the saga's own decide() from the order as placed must give the saga
// state orders stores for it (Audit). The row is a cache of its timeline;
// this shows it, order by order.
import type { Client } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { asPlaced, fold, type SagaEvent, type SagaState } from "@meshmart/orders";
import { CancelReason, OrderStatus, SagaStep, type OrderService } from "@meshmart/proto/orders/v1/orders_pb";

export interface TimelineCheck {
  checked: number;
  /** One line per order whose fold differs from its stored state. */
  mismatches: string[];
}

type Compared = Pick<
  SagaState,
  | "status"
  | "step"
  | "stockReserved"
  | "paymentCaptured"
  | "shipmentBooked"
  | "stockCommitted"
  | "stockReleased"
  | "paymentRefunded"
  | "shipmentCancelled"
  | "cancelReason"
  | "cancelMessage"
>;

const compared = (state: SagaState): Compared => ({
  status: state.status,
  step: state.step,
  stockReserved: state.stockReserved,
  paymentCaptured: state.paymentCaptured,
  shipmentBooked: state.shipmentBooked,
  stockCommitted: state.stockCommitted,
  stockReleased: state.stockReleased,
  paymentRefunded: state.paymentRefunded,
  shipmentCancelled: state.shipmentCancelled,
  cancelReason: state.cancelReason,
  cancelMessage: state.cancelMessage,
});

/** The saga events that carry a detail (why stock was rejected, why payment was declined, why the shipment failed). */
const withDetail = new Set(["StockRejected", "PaymentDeclined", "ShipmentFailed"]);

export async function checkTimelines(orders: Client<typeof OrderService>): Promise<TimelineCheck> {
  const result: TimelineCheck = { checked: 0, mismatches: [] };
  let pageToken = "";
  do {
    const page = await orders.audit({ pageSize: 500, pageToken });
    for (const { order, saga } of page.orders) {
      if (!order || !saga) continue;
      const stored: SagaState = {
        orderId: order.id,
        customerId: order.customerId,
        items: [],
        total: { currencyCode: order.total?.currencyCode ?? "", unitsMinor: order.total?.unitsMinor ?? 0n },
        deadline: timestampDate(saga.deadline!),
        status: OrderStatus[order.status] as SagaState["status"],
        step: SagaStep[saga.step] as SagaState["step"],
        stockReserved: saga.stockReserved,
        paymentCaptured: saga.paymentCaptured,
        shipmentBooked: saga.shipmentBooked,
        stockCommitted: saga.stockCommitted,
        stockReleased: saga.stockReleased,
        paymentRefunded: saga.paymentRefunded,
        shipmentCancelled: saga.shipmentCancelled,
        cancelReason: order.cancelReason === CancelReason.UNSPECIFIED ? null : (CancelReason[order.cancelReason] as SagaState["cancelReason"]),
        cancelMessage: order.cancelMessage,
      };
      const { entries } = await orders.getOrderTimeline({ id: order.id });
      const events = entries.map((entry) => ({
        event: (withDetail.has(entry.event) ? { type: entry.event, detail: entry.detail } : { type: entry.event }) as SagaEvent,
        at: timestampDate(entry.time!),
      }));
      const folded = compared(fold(asPlaced(stored), events).state);
      const want = compared(stored);
      if (JSON.stringify(folded) !== JSON.stringify(want)) {
        result.mismatches.push(`${order.id}: timeline ${entries.map((e) => e.event).join(",")} folds to ${JSON.stringify(folded)}, stored ${JSON.stringify(want)}`);
      }
      result.checked++;
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return result;
}
