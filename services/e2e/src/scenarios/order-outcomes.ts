// Every order's status and cancel reason, read through orders' Audit RPC (all
// pages): how a scenario sees, after rest, what its fault did to the sagas.
import { CancelReason, OrderStatus } from "@meshmart/proto/orders/v1/orders_pb";
import type { SystemClients } from "../system-clients.ts";
import type { OrderOutcome } from "./scenario-definitions.ts";

export async function readOrderOutcomes(clients: Pick<SystemClients, "orders">): Promise<Map<string, OrderOutcome>> {
  const outcomes = new Map<string, OrderOutcome>();
  let pageToken = "";
  do {
    const page = await clients.orders.audit({ pageSize: 1000, pageToken });
    for (const { order } of page.orders) {
      if (!order) continue;
      outcomes.set(order.id, {
        status: `ORDER_STATUS_${OrderStatus[order.status]}`,
        cancelReason: `CANCEL_REASON_${CancelReason[order.cancelReason]}`,
      });
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return outcomes;
}
