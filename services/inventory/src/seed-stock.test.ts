// INVENTORY_SEED stocks the catalog's demo products once: a restart leaves
// the stock it finds alone.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { demoProducts as seedProducts } from "@meshmart/fixtures";
import { startService } from "@meshmart/platform";
import { createTestDatabase, testKafkaBrokers } from "@meshmart/platform/test-support";
import { InventoryService } from "@meshmart/proto/inventory/v1/inventory_pb";
import { inventoryService } from "./index.ts";
import { scarceSeedSkus, seedQuantity, seedStock } from "./seed-stock.ts";

describe("seed stock", () => {
  it("gives every seed product 50 to 500 units, a few scarce ones 3", () => {
    assert.equal(seedStock.length, seedProducts.length);
    for (const { sku, available } of seedStock) {
      if (scarceSeedSkus.includes(sku)) assert.equal(available, 3, sku);
      else assert.ok(available >= 50 && available <= 500, `${sku}: ${available}`);
    }
    assert.ok(scarceSeedSkus.every((sku) => seedProducts.some((p) => p.sku === sku)), "scarce skus are catalog seed skus");
    assert.equal(seedQuantity("BOOK-SRE"), seedQuantity("BOOK-SRE"), "deterministic");
  });

  it("stocks the seed products at start-up when INVENTORY_SEED is on, and only those without stock", async () => {
    const env = {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: await createTestDatabase("inventory_seed"),
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString("hex")}.`,
      INVENTORY_SEED: "true",
    };
    const productIds = seedStock.map((s) => s.productId);
    const [first, changed] = seedStock;

    let service = await startService(inventoryService, { env });
    try {
      const client = createClient(InventoryService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
      const { stocks } = await client.getStock({ productIds });
      assert.deepEqual(
        stocks.map((s) => [s.productId, Number(s.available), Number(s.stocked)]),
        seedStock.map((s) => [s.productId, s.available, s.available]),
      );
      await client.reserve({ orderId: randomUUID(), items: [{ productId: first!.productId, quantity: 1 }] });
      await client.setStock({ productId: changed!.productId, available: 1n });
    } finally {
      await service.stop();
    }

    service = await startService(inventoryService, { env });
    try {
      const client = createClient(InventoryService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
      const { stocks } = await client.getStock({ productIds: [first!.productId, changed!.productId] });
      assert.deepEqual(
        stocks.map((s) => [Number(s.available), Number(s.reserved)]),
        [
          [first!.available - 1, 1],
          [1, 0],
        ],
        "existing stock is left alone",
      );
    } finally {
      await service.stop();
    }
  });
});
