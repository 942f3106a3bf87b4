// The inventory service definition: what main.ts runs and what tests start in-process.
import { bool, perRuntime, type Runtime, type ServiceDefinition } from "@meshmart/platform";
import { InventoryService } from "@meshmart/proto/inventory/v1/inventory_pb";
import { createInventoryService } from "./inventory-service.ts";
import { registerOrderEvents } from "./order-events.ts";
import { seedStock } from "./seed-stock.ts";
import { insertMissingStock } from "./stock-store.ts";
import { StockWatcher } from "./stock-watcher.ts";

const config = {
  /** Stock the catalog's demo products at start-up (local runs); products with a stock record are left alone. */
  INVENTORY_SEED: bool(false),
};

// The RPCs and the workers of one running instance share its change feed.
const stockWatcher = perRuntime(
  (runtime: Runtime<typeof config>) =>
    new StockWatcher({
      connectionString: runtime.db.pool.options.connectionString!,
      logger: runtime.logger.child({ component: "stock-watcher" }),
      draining: runtime.draining,
    }),
);

export const inventoryService: ServiceDefinition<typeof config> = {
  name: "inventory",
  config,
  migrations: new URL("../migrations", import.meta.url),
  rpc: (router, runtime) =>
    router.service(InventoryService, createInventoryService(runtime.db, runtime.outbox, stockWatcher(runtime))),
  events: (consumer) => registerOrderEvents(consumer),
  workers: async (runtime) => {
    if (runtime.config.INVENTORY_SEED) {
      const inserted = await insertMissingStock(runtime.db, [...seedStock]);
      runtime.logger.info({ inserted, total: seedStock.length }, "seed stock ensured");
    }
    return [stockWatcher(runtime)];
  },
};

export { seedStock, seedQuantity, scarceSeedSkus } from "./seed-stock.ts";
