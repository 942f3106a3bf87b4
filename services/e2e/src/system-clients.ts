// Connect clients for every service the checker reads, by name: <NAME>_URL
// when set, otherwise the local `make dev` port.
import type { Client } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type Env } from "@meshmart/platform";
import { services, type ServiceName } from "@meshmart/topology";
import { OrderHistoryService } from "@meshmart/proto/history/v1/history_pb";
import { InventoryService } from "@meshmart/proto/inventory/v1/inventory_pb";
import { NotificationService } from "@meshmart/proto/notifications/v1/notifications_pb";
import { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { PaymentService } from "@meshmart/proto/payments/v1/payments_pb";
import { ShippingService } from "@meshmart/proto/shipping/v1/shipping_pb";

export interface SystemClients {
  orders: Client<typeof OrderService>;
  inventory: Client<typeof InventoryService>;
  payments: Client<typeof PaymentService>;
  shipping: Client<typeof ShippingService>;
  notifications: Client<typeof NotificationService>;
  history: Client<typeof OrderHistoryService>;
  urls: Record<ServiceName, string>;
}

export function localUrl(name: ServiceName, env: Env = process.env): string {
  return env[`${name.toUpperCase()}_URL`] ?? `http://127.0.0.1:${services[name].localPort}`;
}

export function createSystemClients(env: Env = process.env): SystemClients {
  const urls = Object.fromEntries(
    (Object.keys(services) as ServiceName[]).map((name) => [name, localUrl(name, env)]),
  ) as Record<ServiceName, string>;
  const transport = (name: ServiceName) =>
    createConnectTransport({ baseUrl: urls[name], httpVersion: "1.1", defaultTimeoutMs: 10_000 });
  return {
    orders: createClient(OrderService, transport("orders")),
    inventory: createClient(InventoryService, transport("inventory")),
    payments: createClient(PaymentService, transport("payments")),
    shipping: createClient(ShippingService, transport("shipping")),
    notifications: createClient(NotificationService, transport("notifications")),
    history: createClient(OrderHistoryService, transport("history")),
    urls,
  };
}
