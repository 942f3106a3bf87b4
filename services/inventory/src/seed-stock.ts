// Initial stock for the demo catalog's products (@meshmart/fixtures), for
// INVENTORY_SEED: the same list catalog seeds its products from, without
// importing catalog's code.
export { demoStock as seedStock, demoStockQuantity as seedQuantity, scarceDemoSkus as scarceSeedSkus, type DemoStock as SeedStock } from "@meshmart/fixtures";
