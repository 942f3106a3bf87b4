// CatalogService handlers. Reads go straight to the store; writes run in a
// transaction with the events they emit (ProductCreated, ProductPriceChanged,
// ProductDeleted), which the outbox relay publishes once committed.
import { randomUUID } from "node:crypto";
import type { ServiceImpl } from "@connectrpc/connect";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import {
  ProductCreatedSchema,
  ProductDeletedSchema,
  ProductPriceChangedSchema,
} from "@meshmart/proto/catalog/v1/events_pb";
import {
  alreadyExists,
  decodePageToken,
  pageTokenPatterns,
  notFound,
  pageSize,
  type Database,
  type Outbox,
} from "@meshmart/platform";
import * as store from "./product-store.ts";

export function createCatalogService(db: Database, outbox: Outbox): ServiceImpl<typeof CatalogService> {
  return {
    async getProduct({ id }) {
      const product = await store.getProduct(db, id);
      if (!product) throw notFound("product", id);
      return { product };
    },

    async listProducts(req) {
      const filter: store.ProductFilter = {
        category: req.category || undefined,
        minPriceMinor: req.minPriceUnitsMinor,
        maxPriceMinor: req.maxPriceUnitsMinor,
      };
      const after = decodePageToken(req.pageToken, pageTokenPatterns.id);
      const { products, more } = await store.listProducts(db, filter, pageSize(req.pageSize), after);
      const last = products.at(-1);
      return { products, nextPageToken: more && last ? last.id : "" };
    },

    async batchGetProducts({ ids }) {
      const found = await store.getProducts(db, ids);
      return {
        products: ids.flatMap((id) => found.get(id) ?? []),
        missingIds: ids.filter((id) => !found.has(id)),
      };
    },

    async createProduct(req) {
      try {
        const product = await db.transaction(async (tx) => {
          const created = await store.insertProduct(tx, {
            id: randomUUID(),
            sku: req.sku,
            name: req.name,
            description: req.description,
            currencyCode: req.price!.currencyCode, // required by the proto rules
            priceMinor: req.price!.unitsMinor,
            category: req.category,
            imageUrls: req.imageUrls,
          });
          await outbox.emit(
            tx,
            ProductCreatedSchema,
            { productId: created.id, sku: created.sku, name: created.name, price: created.price, category: created.category },
            { key: created.id },
          );
          return created;
        });
        return { product };
      } catch (err) {
        if (store.isDuplicateSku(err)) throw alreadyExists(`a product with sku ${req.sku} already exists`);
        throw err;
      }
    },

    async updateProduct(req) {
      try {
        const product = await db.transaction(async (tx) => {
          const before = await store.getProduct(tx, req.id, true);
          if (!before) throw notFound("product", req.id);
          const after = await store.updateProduct(tx, req.id, {
            sku: req.sku,
            name: req.name,
            description: req.description,
            currencyCode: req.price?.currencyCode,
            priceMinor: req.price?.unitsMinor,
            category: req.category,
            imageUrls: req.imageUrls?.urls,
          });
          const oldPrice = before.price!;
          const newPrice = after!.price!;
          if (oldPrice.currencyCode !== newPrice.currencyCode || oldPrice.unitsMinor !== newPrice.unitsMinor) {
            await outbox.emit(tx, ProductPriceChangedSchema, { productId: req.id, oldPrice, newPrice }, { key: req.id });
          }
          return after;
        });
        return { product };
      } catch (err) {
        if (store.isDuplicateSku(err)) throw alreadyExists(`a product with sku ${req.sku} already exists`);
        throw err;
      }
    },

    async deleteProduct({ id }) {
      await db.transaction(async (tx) => {
        const deleted = await store.deleteProduct(tx, id);
        if (!deleted) throw notFound("product", id);
        await outbox.emit(tx, ProductDeletedSchema, { productId: id, sku: deleted.sku }, { key: id });
      });
      return {};
    },
  };
}
