// A few dozen products for local runs and demos. Ids are derived from the sku,
// so every run (and inventory's seed stock) agrees on them.
import { createHash } from "node:crypto";
import type { NewProduct } from "./product-store.ts";

/** A stable UUID (version 5 layout) for a seed sku. */
export function seedProductId(sku: string): string {
  const hex = createHash("sha1").update(`meshmart:product:${sku}`).digest("hex");
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const catalog: Array<[sku: string, name: string, category: string, priceMinor: number]> = [
  ["BOOK-SRE", "Site Reliability Engineering", "books", 4499],
  ["BOOK-DDIA", "Designing Data-Intensive Applications", "books", 5299],
  ["BOOK-K8S-PATTERNS", "Kubernetes Patterns", "books", 3999],
  ["BOOK-RELEASE-IT", "Release It!", "books", 3599],
  ["BOOK-TS-HANDBOOK", "The TypeScript Handbook, printed", "books", 2499],
  ["BOOK-ISTIO", "Istio in Action", "books", 4799],
  ["BOOK-KAFKA", "Kafka: The Definitive Guide", "books", 4999],
  ["BOOK-PG-INTERNALS", "PostgreSQL Internals", "books", 4299],
  ["MUG-MESH", "meshmart mug", "kitchen", 1499],
  ["MUG-KAFKA", "Kafka-blue mug", "kitchen", 1499],
  ["BOTTLE-STEEL", "Steel water bottle", "kitchen", 2299],
  ["COFFEE-BEANS-1KG", "Espresso beans, 1 kg", "kitchen", 2899],
  ["TEA-SENCHA", "Sencha green tea", "kitchen", 1199],
  ["KEYBOARD-TKL", "Tenkeyless mechanical keyboard", "electronics", 12999],
  ["MOUSE-ERGO", "Ergonomic mouse", "electronics", 5999],
  ["MONITOR-27", "27-inch 4K monitor", "electronics", 39999],
  ["HEADSET-ANC", "Noise-cancelling headset", "electronics", 19999],
  ["CABLE-USBC-2M", "USB-C cable, 2 m", "electronics", 1299],
  ["DOCK-USBC", "USB-C dock", "electronics", 8999],
  ["WEBCAM-HD", "HD webcam", "electronics", 6999],
  ["RPI-5", "Single-board computer", "electronics", 8499],
  ["SSD-2TB", "2 TB NVMe SSD", "electronics", 13999],
  ["HOODIE-MESH", "meshmart hoodie", "apparel", 5499],
  ["TSHIRT-K8S", "Pod-person T-shirt", "apparel", 2499],
  ["SOCKS-SIDECAR", "Sidecar socks", "apparel", 999],
  ["CAP-GRPC", "gRPC cap", "apparel", 1999],
  ["STICKERS-PACK", "Sticker pack", "office", 499],
  ["NOTEBOOK-DOT", "Dotted notebook", "office", 1299],
  ["PEN-FOUNTAIN", "Fountain pen", "office", 3499],
  ["DESK-MAT", "Desk mat", "office", 2599],
  ["LAMP-LED", "LED desk lamp", "office", 4599],
  ["CHAIR-ERGO", "Ergonomic chair", "office", 49999],
  ["PLANT-SUCCULENT", "Succulent in a pot", "garden", 899],
  ["SEEDS-HERBS", "Herb seed kit", "garden", 1599],
  ["WATERING-CAN", "Watering can", "garden", 2199],
  ["BOARDGAME-PANDEMIC", "Cooperative board game", "games", 3999],
];

export const seedProducts: NewProduct[] = catalog.map(([sku, name, category, priceMinor]) => ({
  id: seedProductId(sku),
  sku,
  name,
  description: `${name}, from the meshmart demo catalog.`,
  currencyCode: "EUR",
  priceMinor: BigInt(priceMinor),
  category,
  imageUrls: [`https://images.meshmart.example/${sku.toLowerCase()}.jpg`],
}));
