// The catalog service definition: what main.ts runs and what tests start in-process.
import { bool, type ServiceDefinition } from "@meshmart/platform";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { ProductCreatedSchema } from "@meshmart/proto/catalog/v1/events_pb";
import { createCatalogService } from "./catalog-service.ts";
import { insertMissingProduct } from "./product-store.ts";
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
  workers: async ({ db, outbox, config, logger }) => {
    if (config.CATALOG_SEED) {
      // A seeded product is announced like one CreateProduct makes, in the same transaction, so that
      // the readers of catalog's events (history's product names) know it too.
      let inserted = 0;
      for (const seed of seedProducts) {
        await db.transaction(async (tx) => {
          const product = await insertMissingProduct(tx, seed);
          if (!product) return;
          inserted++;
          const { id: productId, sku, name, price, category } = product;
          await outbox.emit(tx, ProductCreatedSchema, { productId, sku, name, price, category }, { key: productId });
        });
      }
      logger.info({ inserted, total: seedProducts.length }, "seed products ensured");
    }
    return [];
  },
};

export { createCatalogService } from "./catalog-service.ts";
export { seedProducts } from "./seed-products.ts";
