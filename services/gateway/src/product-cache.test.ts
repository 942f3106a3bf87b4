// The gateway's product pages through its product cache, against a real
// catalog on real Postgres and Kafka: a page read twice is served from memory
// the second time, and a price change reaches both GET /products/{id} and
// GET /products within the bound docs/architecture.md gives (the TTL is ten
// minutes, so only the event can refresh them).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { catalogService } from "@meshmart/catalog";
import { generateSigningKey } from "@meshmart/dev-identity";
import { demoProductId } from "@meshmart/fixtures";
import { startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, eventually, inProcessServiceEnv, metricTotal } from "@meshmart/platform/test-support";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { gatewayService } from "./index.ts";

const propagationBoundMs = 5_000;
const lamp = { id: demoProductId("LAMP-LED"), newPriceMinor: 3999 };

const counter = (service: RunningService, name: string, cache: string) => metricTotal(service, name, { cache });

describe("gateway product cache", () => {
  let catalog: RunningService;
  let gateway: RunningService;
  let catalogClient: Client<typeof CatalogService>;

  before(async () => {
    const common = inProcessServiceEnv();
    catalog = await startService(catalogService, { env: { ...common, DATABASE_URL: await createTestDatabase("catalog"), CATALOG_SEED: "true" } });
    catalogClient = createClient(CatalogService, createConnectTransport({ baseUrl: catalog.url, httpVersion: "1.1" }));
    gateway = await startService(gatewayService, {
      env: { ...common, JWT_JWKS: generateSigningKey().jwks, CATALOG_URL: catalog.url, PRODUCT_CACHE_TTL_MS: "600000", RATE_LIMIT_RPS: "0" },
    });
  });
  after(() => Promise.all([gateway?.stop(), catalog?.stop()]));

  const product = async () => ((await (await fetch(`${gateway.url}/api/v1/products/${lamp.id}`)).json()) as { price: { unitsMinor: string } }).price.unitsMinor;
  const listed = async () => {
    const body = (await (await fetch(`${gateway.url}/api/v1/products?category=office`)).json()) as { products: Array<{ id: string; price: { unitsMinor: string } }> };
    return body.products.find((p) => p.id === lamp.id)?.price.unitsMinor;
  };

  it("serves a page read again from memory, and shows a new price on both pages within the bound", async () => {
    // The feed is live once a second read is a hit.
    await eventually(async () => {
      const before = await counter(gateway, "cache_hits_total", "gateway-products");
      await product();
      await product();
      return (await counter(gateway, "cache_hits_total", "gateway-products")) > before ? true : undefined;
    }, { what: "GET /products/{id} served from the gateway's cache" });
    const listHits = await counter(gateway, "cache_hits_total", "gateway-product-lists");
    const oldPrice = await listed();
    assert.equal(await listed(), oldPrice);
    assert.ok((await counter(gateway, "cache_hits_total", "gateway-product-lists")) > listHits, "the list page came from memory the second time");
    assert.notEqual(oldPrice, String(lamp.newPriceMinor));

    await catalogClient.updateProduct({ id: lamp.id, price: { currencyCode: "EUR", unitsMinor: BigInt(lamp.newPriceMinor) } });
    const changedAt = Date.now();
    const seen = await eventually(
      async () => ((await product()) === String(lamp.newPriceMinor) && (await listed()) === String(lamp.newPriceMinor) ? Date.now() - changedAt : undefined),
      { timeoutMs: propagationBoundMs, intervalMs: 20, what: "the new price on GET /products/{id} and GET /products" },
    );
    console.log(`[product-cache] the gateway showed the new price on both pages ${seen} ms after the change`);
  });
});
