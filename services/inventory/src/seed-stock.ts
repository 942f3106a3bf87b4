// Initial stock for the catalog's demo products (local runs). Quantities are
// derived from the sku, so every run agrees on them; a few products get only
// a handful of units, so that a demo batch of orders sees StockRejected.
import { createHash } from "node:crypto";
import { seedProducts } from "@meshmart/catalog";

/** Demo products stocked with just a few units. */
export const scarceSeedSkus: readonly string[] = ["MONITOR-27", "CHAIR-ERGO"];

export interface SeedStock {
  productId: string;
  sku: string;
  available: number;
}

/** 3 units for the scarce products, 50 to 500 for every other. */
export function seedQuantity(sku: string): number {
  if (scarceSeedSkus.includes(sku)) return 3;
  return 50 + (createHash("sha1").update(`meshmart:stock:${sku}`).digest().readUInt32BE(0) % 451);
}

export const seedStock: readonly SeedStock[] = seedProducts.map(({ id, sku }) => ({
  productId: id,
  sku,
  available: seedQuantity(sku),
}));
