// The demo catalog (@meshmart/fixtures) as catalog's products, for
// CATALOG_SEED: every run, and inventory's seed stock, agree on the ids.
import { demoProducts } from "@meshmart/fixtures";
import type { NewProduct } from "./product-store.ts";


export const seedProducts: NewProduct[] = demoProducts.map(({ id, sku, name, category, priceMinor }) => ({
  id,
  sku,
  name,
  description: `${name}, from the meshmart demo catalog.`,
  currencyCode: "EUR",
  priceMinor,
  category,
  imageUrls: [`https://images.meshmart.example/${sku.toLowerCase()}.jpg`],
}));
