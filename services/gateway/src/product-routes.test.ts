// Products and stock through the gateway: public reads, query parameters
// mapped onto the backends' requests, and bad queries refused with the
// parameter named.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ProductSchema, type ListProductsRequest } from "@meshmart/proto/catalog/v1/catalog_pb";
import type { GetStockRequest } from "@meshmart/proto/inventory/v1/inventory_pb";
import { invalidArgument, notFound } from "@meshmart/platform";
import { problemOf, startTestGateway, type TestGateway } from "./test-gateway.ts";

const productA = "0b5c6a43-8c1f-4d6e-9a2b-3c4d5e6f7a81";
const productB = "1c6d7b54-9d2f-4e7f-8b3c-4d5e6f7a8b92";

const product = create(ProductSchema, {
  id: productA,
  sku: "BOOK-1",
  name: "A book",
  price: { currencyCode: "EUR", unitsMinor: 1999n },
  category: "books",
});

describe("product and stock routes", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.stop());
  beforeEach(() => {
    gw.calls.length = 0;
    gw.catalog.listProducts = () => ({ products: [product], nextPageToken: "next" });
    gw.catalog.getProduct = ({ id }) => {
      if (id !== productA) throw notFound("product", id);
      return { product };
    };
    gw.inventory.getStock = ({ productIds }) => ({
      stocks: productIds.map((productId) => ({ productId, available: 5n, reserved: 1n, sold: 2n, stocked: 8n })),
    });
  });

  it("lists products with the filters passed through", async () => {
    const res = await gw.request("/api/v1/products?category=books&min_price=100&max_price=5000&page_size=20&page_token=t");
    assert.equal(res.status, 200);
    const body = (await res.json()) as { products: { id: string; price: unknown }[]; nextPageToken: string };
    assert.equal(body.nextPageToken, "next");
    assert.equal(body.products[0]?.id, productA);
    assert.deepEqual(body.products[0]?.price, { currencyCode: "EUR", unitsMinor: "1999" });
    const sent = gw.callsTo("ListProducts")[0]!.request as ListProductsRequest;
    assert.equal(sent.category, "books");
    assert.equal(sent.minPriceUnitsMinor, 100n);
    assert.equal(sent.maxPriceUnitsMinor, 5000n);
    assert.equal(sent.pageSize, 20);
    assert.equal(sent.pageToken, "t");
  });

  it("refuses bad product queries with the parameter named, backend never called", async () => {
    const cases = [
      ["min_price=cheap", "min_price"],
      ["page_size=501", "page_size"],
      ["page_size=99999999999", "page_size"],
      ["category=Books!", "category"],
      ["category=a&category=b", "category"],
      ["pageSize=5", "pageSize"],
    ] as const;
    for (const [query, field] of cases) {
      const res = await gw.request(`/api/v1/products?${query}`);
      assert.equal(res.status, 400, query);
      const problem = await problemOf(res);
      assert.equal(problem.violations?.[0]?.field, field, `${query}: ${JSON.stringify(problem.violations)}`);
    }
    assert.equal(gw.calls.length, 0);
  });

  it("answers a price range that nothing fits (min_price over max_price) with an empty list, backend not called", async () => {
    const res = await gw.request("/api/v1/products?min_price=500&max_price=100");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { products: [], nextPageToken: "" });
    const invalid = await gw.request("/api/v1/products?min_price=500&max_price=100&page_size=501");
    assert.equal(invalid.status, 400, "other parameters are still checked");
    assert.equal(gw.calls.length, 0);
  });

  it("passes a backend's field violations on, renamed to the query parameter", async () => {
    gw.catalog.listProducts = () => {
      throw invalidArgument("min_price_units_minor", "is not a price we know");
    };
    const res = await gw.request("/api/v1/products?min_price=1");
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    assert.deepEqual(problem.violations, [{ field: "min_price", rule: "meshmart.invalid", message: "is not a price we know" }]);
  });

  it("gets one product; an unknown one is 404 and a malformed id 400", async () => {
    const res = await gw.request(`/api/v1/products/${productA}`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { sku: string }).sku, "BOOK-1");

    const missing = await gw.request(`/api/v1/products/${productB}`);
    assert.equal(missing.status, 404);
    assert.equal((await problemOf(missing)).detail, `product ${productB} not found`);

    const bad = await gw.request("/api/v1/products/not-a-uuid");
    assert.equal(bad.status, 400);
    assert.equal((await problemOf(bad)).violations?.[0]?.field, "id");
    assert.equal(gw.callsTo("GetProduct").length, 2);
  });

  it("answers HEAD like GET, without a body", async () => {
    const res = await gw.request(`/api/v1/products/${productA}`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
  });

  it("gets stock for repeated or comma-separated product ids", async () => {
    const res = await gw.request(`/api/v1/stock?product_id=${productA},${productB}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { stocks: { productId: string; available: string }[] };
    assert.deepEqual(
      body.stocks.map((s) => [s.productId, s.available]),
      [
        [productA, "5"],
        [productB, "5"],
      ],
    );
    await gw.request(`/api/v1/stock?product_id=${productA}&product_id=${productB}`);
    const sent = gw.callsTo("GetStock").map((call) => (call.request as GetStockRequest).productIds);
    assert.deepEqual(sent, [
      [productA, productB],
      [productA, productB],
    ]);
  });

  it("refuses a stock query for more ids than fit the documented limit, naming product_id", async () => {
    const ids = Array.from({ length: 251 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const res = await gw.request(`/api/v1/stock?product_id=${ids.join(",")}`);
    assert.equal(res.status, 400);
    assert.deepEqual((await problemOf(res)).violations?.map((v) => v.rule), ["query.max_items"]);
    assert.equal(gw.calls.length, 0);
  });

  it("refuses a stock query without product ids, or with a bad one, naming product_id", async () => {
    for (const query of ["", "?product_id=", "?product_id=nope", `?product_id=${productA},${productA}`]) {
      const res = await gw.request(`/api/v1/stock${query}`);
      assert.equal(res.status, 400, query);
      const field = (await problemOf(res)).violations?.[0]?.field ?? "";
      assert.match(field, /^product_id/, query);
    }
    assert.equal(gw.calls.length, 0);
  });
});
