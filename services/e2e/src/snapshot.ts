// Everything the invariant checker needs, read through the services' RPCs
// (all pages of each audit view).
import type { OrderSummary } from "@meshmart/proto/history/v1/history_pb";
import type { Stock, Reservation } from "@meshmart/proto/inventory/v1/inventory_pb";
import type { Notification } from "@meshmart/proto/notifications/v1/notifications_pb";
import type { OrderAudit } from "@meshmart/proto/orders/v1/orders_pb";
import type { Payment } from "@meshmart/proto/payments/v1/payments_pb";
import type { Shipment } from "@meshmart/proto/shipping/v1/shipping_pb";
import type { SystemClients } from "./system-clients.ts";

export interface SystemSnapshot {
  orders: OrderAudit[];
  stocks: Stock[];
  reservations: Reservation[];
  payments: Payment[];
  shipments: Shipment[];
  notifications: Notification[];
  /** The order-history projection's summaries, every customer's (ListOrderHistory without customer_id). */
  history: OrderSummary[];
}

async function allPages<T>(fetchPage: (pageToken: string) => Promise<{ items: T[]; next: string }>): Promise<T[]> {
  const items: T[] = [];
  let token = "";
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    token = page.next;
  } while (token);
  return items;
}

export async function readSnapshot(clients: SystemClients): Promise<SystemSnapshot> {
  const stocks: Stock[] = [];
  const [orders, reservations, payments, shipments, notifications, history] = await Promise.all([
    allPages(async (pageToken) => {
      const res = await clients.orders.audit({ pageSize: 1000, pageToken });
      return { items: res.orders, next: res.nextPageToken };
    }),
    allPages(async (pageToken) => {
      const res = await clients.inventory.audit({ pageSize: 1000, pageToken });
      stocks.push(...res.stocks); // only the first page carries the stocks
      return { items: res.reservations, next: res.nextPageToken };
    }),
    allPages(async (pageToken) => {
      const res = await clients.payments.listPayments({ pageSize: 1000, pageToken });
      return { items: res.payments, next: res.nextPageToken };
    }),
    allPages(async (pageToken) => {
      const res = await clients.shipping.listShipments({ pageSize: 1000, pageToken });
      return { items: res.shipments, next: res.nextPageToken };
    }),
    allPages(async (pageToken) => {
      const res = await clients.notifications.listNotifications({ pageSize: 1000, pageToken });
      return { items: res.notifications, next: res.nextPageToken };
    }),
    allPages(async (pageToken) => {
      const res = await clients.history.listOrderHistory({ pageSize: 1000, pageToken });
      return { items: res.orders, next: res.nextPageToken };
    }),
  ]);
  return { orders, stocks, reservations, payments, shipments, notifications, history };
}
