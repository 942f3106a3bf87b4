// The services the gateway calls, exactly those topology.ts lists for it
// (catalog, inventory, orders, history): the mesh's AuthorizationPolicy is
// derived from that list, so a client built here that is not there would be
// refused.
import type { Client } from "@connectrpc/connect";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { OrderHistoryService } from "@meshmart/proto/history/v1/history_pb";
import { InventoryService } from "@meshmart/proto/inventory/v1/inventory_pb";
import { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { clientPolicy, createServiceClient, serviceUrl, type Runtime } from "@meshmart/platform";
import { type ServiceName } from "@meshmart/topology";
import { rememberBackend } from "./backend-errors.ts";

export interface Backends {
  readonly catalog: Client<typeof CatalogService>;
  readonly inventory: Client<typeof InventoryService>;
  readonly orders: Client<typeof OrderService>;
  /** The order-history projection: the customer's order list and detail. */
  readonly history: Client<typeof OrderHistoryService>;
}

export function createBackends(runtime: Pick<Runtime, "env" | "metrics" | "config">, defaultTimeoutMs: number): Backends {
  const options = (target: ServiceName) => ({
    baseUrl: serviceUrl(target, runtime.env),
    defaultTimeoutMs,
    interceptors: [runtime.metrics.clientInterceptor, rememberBackend(target)],
    policy: clientPolicy(target, runtime.config.SERVICE_MESH),
  });
  return {
    catalog: createServiceClient(CatalogService, options("catalog")),
    inventory: createServiceClient(InventoryService, options("inventory")),
    orders: createServiceClient(OrderService, options("orders")),
    history: createServiceClient(OrderHistoryService, options("history")),
  };
}
