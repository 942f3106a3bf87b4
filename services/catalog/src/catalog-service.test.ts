// CatalogService end to end: a real server on a real PostgreSQL, called by a
// Connect client over HTTP/1.1 and by a gRPC client over h2c.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import { fromBinary } from "@bufbuild/protobuf";
import { ProductPriceChangedSchema } from "@meshmart/proto/catalog/v1/events_pb";
import { randomBytes } from "node:crypto";
import { catalogService } from "./index.ts";

describe("CatalogService", () => {
  let service: RunningService;
  let connect: Client<typeof CatalogService>;
  let grpc: Client<typeof CatalogService>;

  before(async () => {
    const env = {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: await createTestDatabase("catalog"),
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString("hex")}.`,
      OUTBOX_POLL_MS: "100",
    };
    service = await startService(catalogService, { env });
    connect = createClient(CatalogService, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
    grpc = createClient(CatalogService, createGrpcTransport({ baseUrl: service.url }));
  });
  after(() => service.stop());

  const countProducts = async () =>
    Number((await service.runtime.db.query<{ n: string }>("SELECT count(*) AS n FROM products")).rows[0]!.n);

  const newProduct = (sku: string, priceMinor = 1999n, category = "books") => ({
    sku,
    name: `Product ${sku}`,
    description: "a test product",
    price: { currencyCode: "EUR", unitsMinor: priceMinor },
    category,
    imageUrls: ["https://images.example/x.jpg"],
  });

  for (const [protocol, client] of [
    ["Connect over HTTP/1.1", () => connect],
    ["gRPC over h2c", () => grpc],
  ] as const) {
    it(`creates, reads, updates and deletes a product (${protocol})`, async () => {
      const sku = `CRUD-${protocol.startsWith("gRPC") ? "GRPC" : "CONNECT"}`;
      const { product: created } = await client().createProduct(newProduct(sku));
      assert.ok(created);
      assert.match(created.id, /^[0-9a-f-]{36}$/);
      assert.equal(created.price?.unitsMinor, 1999n);

      const { product: fetched } = await client().getProduct({ id: created.id });
      assert.equal(fetched?.sku, sku);
      assert.equal(fetched?.name, `Product ${sku}`);

      const { product: updated } = await client().updateProduct({
        id: created.id,
        name: "Renamed",
        price: { currencyCode: "EUR", unitsMinor: 2499n },
      });
      assert.equal(updated?.name, "Renamed");
      assert.equal(updated?.price?.unitsMinor, 2499n);
      assert.equal(updated?.description, "a test product", "unset fields keep their value");

      await client().deleteProduct({ id: created.id });
      await assert.rejects(client().getProduct({ id: created.id }), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.NotFound);
        return true;
      });
    });
  }

  it("lists with paging and filters", async () => {
    for (let i = 0; i < 7; i++) await connect.createProduct(newProduct(`PAGE-${i}`, BigInt(1000 + i * 100), "paging"));
    await connect.createProduct(newProduct("OTHER-CAT", 1000n, "other"));

    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await connect.listProducts({ category: "paging", pageSize: 3, pageToken });
      seen.push(...page.products.map((p) => p.sku));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), ["PAGE-0", "PAGE-1", "PAGE-2", "PAGE-3", "PAGE-4", "PAGE-5", "PAGE-6"]);

    const priced = await connect.listProducts({ category: "paging", minPriceUnitsMinor: 1200n, maxPriceUnitsMinor: 1400n });
    assert.deepEqual(priced.products.map((p) => p.sku).sort(), ["PAGE-2", "PAGE-3", "PAGE-4"]);

    // A token is the last id seen: under other filters it continues from there; any other form is refused.
    const first = await connect.listProducts({ category: "paging", pageSize: 2 });
    const afterFirst = await connect.listProducts({ pageToken: first.nextPageToken });
    assert.ok(afterFirst.products.every((p) => p.id > first.nextPageToken));
    for (const pageToken of ["garbage", first.nextPageToken.toUpperCase(), `${first.nextPageToken}'`]) {
      await assert.rejects(connect.listProducts({ pageToken }), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.InvalidArgument, pageToken);
        return true;
      });
    }
  });

  it("batch-gets in request order and reports missing ids", async () => {
    const { product: a } = await connect.createProduct(newProduct("BATCH-A"));
    const { product: b } = await connect.createProduct(newProduct("BATCH-B"));
    const missing = "00000000-0000-4000-8000-000000000000";
    const res = await grpc.batchGetProducts({ ids: [b!.id, missing, a!.id] });
    assert.deepEqual(res.products.map((p) => p.sku), ["BATCH-B", "BATCH-A"]);
    assert.deepEqual(res.missingIds, [missing]);
  });

  it("rejects invalid input with InvalidArgument and field details, changing nothing", async () => {
    const before = await countProducts();
    await assert.rejects(
      connect.createProduct({ ...newProduct("bad sku!"), price: { currencyCode: "euro", unitsMinor: -5n } }),
      (err: unknown) => {
        const error = ConnectError.from(err);
        assert.equal(error.code, Code.InvalidArgument);
        const fields = error
          .findDetails(ViolationsSchema)
          .flatMap((v) => v.violations)
          .map((v) => v.field?.elements.map((e) => e.fieldName).join("."));
        assert.ok(fields.includes("sku"), `violations name sku: ${fields.join(", ")}`);
        assert.ok(fields.includes("price.currency_code"), `violations name price.currency_code: ${fields.join(", ")}`);
        assert.ok(fields.includes("price.units_minor"), `violations name price.units_minor: ${fields.join(", ")}`);
        return true;
      },
    );
    assert.equal(await countProducts(), before);
  });

  it("answers invalid Connect JSON with HTTP 400", async () => {
    const before = await countProducts();
    const res = await fetch(`${service.url}/meshmart.catalog.v1.CatalogService/CreateProduct`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sku: "", name: "", price: { currencyCode: "EUR", unitsMinor: "1" } }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { code: string };
    assert.equal(body.code, "invalid_argument");
    assert.equal(await countProducts(), before);
  });

  it("answers an unknown id with NotFound (HTTP 404 for Connect)", async () => {
    const res = await fetch(`${service.url}/meshmart.catalog.v1.CatalogService/GetProduct`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "00000000-0000-4000-8000-000000000001" }),
    });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { code: string }).code, "not_found");
  });

  it("refuses a duplicate sku with AlreadyExists", async () => {
    await connect.createProduct(newProduct("DUP-1"));
    await assert.rejects(connect.createProduct(newProduct("DUP-1")), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.AlreadyExists);
      return true;
    });
  });

  it("emits ProductCreated, ProductPriceChanged (old and new price) and ProductDeleted through the outbox", async () => {
    const { product } = await connect.createProduct(newProduct("EVENTS-1", 1000n));
    await connect.updateProduct({ id: product!.id, name: "name only" }); // no price change, no event
    await connect.updateProduct({ id: product!.id, price: { currencyCode: "EUR", unitsMinor: 1250n } });
    await connect.deleteProduct({ id: product!.id });

    const rows = await eventually(async () => {
      const { rows } = await service.runtime.db.query<{ type: string; payload: Buffer; published: boolean; aggregate_id: string }>(
        "SELECT type, payload, published_at IS NOT NULL AS published, aggregate_id FROM outbox WHERE aggregate_id = $1 ORDER BY seq",
        [product!.id],
      );
      return rows.length === 3 && rows.every((row) => row.published) ? rows : undefined;
    }, { what: "three published events" });
    assert.deepEqual(
      rows.map((row) => row.type),
      ["meshmart.catalog.v1.ProductCreated", "meshmart.catalog.v1.ProductPriceChanged", "meshmart.catalog.v1.ProductDeleted"],
    );
    const changed = fromBinary(ProductPriceChangedSchema, rows[1]!.payload);
    assert.equal(changed.oldPrice?.unitsMinor, 1000n);
    assert.equal(changed.newPrice?.unitsMinor, 1250n);
    assert.equal(changed.productId, product!.id);
  });

  it("exposes the RPC histogram on /metrics after calls", async () => {
    await connect.listProducts({});
    const text = await (await fetch(`${service.url}/metrics`)).text();
    assert.match(
      text,
      /rpc_server_duration_seconds_count\{[^}]*service="meshmart\.catalog\.v1\.CatalogService",method="ListProducts",code="ok"[^}]*\} [1-9]/,
    );
    assert.match(text, /rpc_server_requests_total\{[^}]*method="CreateProduct",code="invalid_argument"/);
    assert.match(text, /process_cpu_seconds_total/);
  });

  it("answers /healthz and /readyz", async () => {
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
    const ready = await fetch(`${service.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { database: "ok" });
  });
});
