// The catalog service definition: what main.ts runs and what tests start in-process.
import { bool, type ServiceDefinition } from "@meshmart/platform";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { createCatalogService } from "./catalog-service.ts";
import { insertMissingProducts } from "./product-store.ts";
import { seedProducts } from "./seed-products.ts";

const config = {
  /** Insert the demo products at start-up (local runs); existing skus are left alone. */
  CATALOG_SEED: bool(false),
};

export const catalogService: ServiceDefinition<typeof config> = {
  name: "catalog",
  config,
  migrations: new URL("../migrations", import.meta.url),
  rpc: (router, { db, outbox }) => router.service(CatalogService, createCatalogService(db, outbox)),
  workers: async ({ db, config, logger }) => {
    if (config.CATALOG_SEED) {
      const inserted = await insertMissingProducts(db, seedProducts);
      logger.info({ inserted, total: seedProducts.length }, "seed products ensured");
    }
    return [];
  },
};

export { createCatalogService } from "./catalog-service.ts";
export { seedProducts } from "./seed-products.ts";
