// A price change under load: two orders replicas price a steady trickle of
// new orders through their product caches (a TTL of ten minutes, so only
// the ProductPriceChanged event can make them fresh) while catalog changes the
// price. No order placed later than the documented bound after the change may
// carry the old price, on either replica; the measured propagation is printed.
// Real catalog, Postgres and Kafka, all in-process but the broker.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { catalogService } from "@meshmart/catalog";
import { demoProductId } from "@meshmart/fixtures";
import { startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, eventually, inProcessServiceEnv, metricTotal } from "@meshmart/platform/test-support";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { ordersService } from "./index.ts";

/** The bound docs/architecture.md promises for a price change to reach every replica's cache (broker up). */
const propagationBoundMs = 5_000;
const socks = { id: demoProductId("SOCKS-SIDECAR"), oldPriceMinor: 999n, newPriceMinor: 1299n };
const mug = { id: demoProductId("MUG-MESH") };

interface Placed {
  replica: number;
  startedAt: number;
  unitPriceMinor: bigint;
}


describe("product cache: a price change under load", () => {
  let catalog: RunningService;
  const replicas: RunningService[] = [];
  let catalogClient: Client<typeof CatalogService>;

  before(async () => {
    const common = inProcessServiceEnv();
    const [catalogDb, ordersDb] = await Promise.all([createTestDatabase("catalog"), createTestDatabase("orders")]);
    catalog = await startService(catalogService, { env: { ...common, DATABASE_URL: catalogDb, CATALOG_SEED: "true" } });
    catalogClient = createClient(CatalogService, createConnectTransport({ baseUrl: catalog.url, httpVersion: "1.1" }));
    const ordersEnv = { ...common, DATABASE_URL: ordersDb, CATALOG_URL: catalog.url, SAGA_TIMEOUT_MS: "3600000", PRODUCT_CACHE_TTL_MS: "600000" };
    // Two replicas on one database, as in the cluster: each has its own cache and its own feed.
    for (let i = 0; i < 2; i++) replicas.push(await startService(ordersService, { env: ordersEnv }));
  });
  after(() => Promise.all([...replicas.map((r) => r.stop()), catalog?.stop()]));

  it(`prices no order with the old price later than ${propagationBoundMs} ms after the change, on any replica`, async () => {
    const clients = replicas.map((r) => createClient(OrderService, createConnectTransport({ baseUrl: r.url, httpVersion: "1.1" })));
    const placed: Placed[] = [];
    let running = true;
    const customerId = randomUUID();
    // A steady trickle per replica: one PlaceOrder every 20 ms or so.
    const trickleStarted = Date.now();
    const trickle = clients.map(async (client, replica) => {
      while (running) {
        const startedAt = Date.now();
        const { order } = await client.placeOrder({ customerId, idempotencyKey: randomUUID(), items: [{ productId: socks.id, quantity: 1 }] });
        placed.push({ replica, startedAt, unitPriceMinor: order!.items[0]!.unitPrice!.unitsMinor });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });

    // Both feeds live, the caches warm: orders are served from memory before the change. And the
    // trickle has run for more than the 1 s margin the "before the change" check leaves.
    const hitsBefore = await eventually(
      async () => {
        const hits = await Promise.all(replicas.map((r) => metricTotal(r, "cache_hits_total")));
        return hits.every((h) => h >= 20) && Date.now() - trickleStarted > 1_500 ? hits : undefined;
      },
      { timeoutMs: 30_000, what: "both replicas answering prices from their caches" },
    );
    const changeStarted = Date.now();
    await catalogClient.updateProduct({ id: socks.id, price: { currencyCode: "EUR", unitsMinor: socks.newPriceMinor } });
    const changedAt = Date.now();

    // Keep the trickle going past the bound, then until every replica has priced with the new price.
    await new Promise((resolve) => setTimeout(resolve, propagationBoundMs + 1_000));
    running = false;
    await Promise.all(trickle);

    const afterChange = placed.filter((p) => p.startedAt >= changedAt);
    const lateOld = afterChange.filter((p) => p.unitPriceMinor === socks.oldPriceMinor);
    const propagation = replicas.map((_, replica) => {
      const lastOld = Math.max(changeStarted, ...lateOld.filter((p) => p.replica === replica).map((p) => p.startedAt));
      const firstNew = Math.min(...afterChange.filter((p) => p.replica === replica && p.unitPriceMinor === socks.newPriceMinor).map((p) => p.startedAt));
      return { replica, lastOldPriceMs: lastOld - changedAt, firstNewPriceMs: firstNew - changedAt };
    });
    console.log(
      `[product-cache] ${placed.length} orders; price change committed in ${changedAt - changeStarted} ms; ` +
        `cache hits before the change ${hitsBefore.join("/")}; per replica, the last order placed with the old price and the first with the new one, ms after the change: ` +
        propagation.map((p) => `replica ${p.replica}: old until ${Math.max(0, p.lastOldPriceMs)}, new from ${p.firstNewPriceMs}`).join("; "),
    );

    for (const p of propagation) assert.ok(Number.isFinite(p.firstNewPriceMs), `replica ${p.replica} priced an order with the new price`);
    const tooLate = lateOld.filter((p) => p.startedAt > changedAt + propagationBoundMs);
    assert.deepEqual(tooLate, [], `no order placed more than ${propagationBoundMs} ms after the change carries the old price`);
    const beforeChange = placed.filter((p) => p.startedAt + 1_000 < changeStarted);
    assert.ok(beforeChange.length > 0 && beforeChange.every((p) => p.unitPriceMinor === socks.oldPriceMinor), "before the change, the old price");
    const invalidations = await Promise.all(replicas.map((r) => metricTotal(r, "cache_invalidations_total", { reason: "event" })));
    assert.ok(invalidations.every((n) => n >= 1), `each replica's cache was invalidated by the event: ${invalidations.join("/")}`);
  });

  it(`refuses a deleted product on every replica within ${propagationBoundMs} ms, though both had it cached`, async () => {
    const clients = replicas.map((r) => createClient(OrderService, createConnectTransport({ baseUrl: r.url, httpVersion: "1.1" })));
    const place = (client: Client<typeof OrderService>) =>
      client.placeOrder({ customerId: randomUUID(), idempotencyKey: randomUUID(), items: [{ productId: mug.id, quantity: 1 }] });
    // Cached on both: a second pricing of the mug is a hit.
    for (const [i, client] of clients.entries()) {
      const hits = () => metricTotal(replicas[i]!, "cache_hits_total");
      await eventually(async () => {
        const before = await hits();
        await place(client);
        return (await hits()) > before ? true : undefined;
      }, { what: `the mug cached on replica ${i}` });
    }
    await catalogClient.deleteProduct({ id: mug.id });
    const deletedAt = Date.now();
    const refusedAfter = await Promise.all(
      clients.map((client, i) =>
        eventually(
          async () => {
            try {
              await place(client);
              return undefined; // still priced from the cache
            } catch (err) {
              const error = ConnectError.from(err);
              assert.equal(error.code, Code.FailedPrecondition, String(err));
              assert.match(error.rawMessage, /unknown product/);
              return Date.now() - deletedAt;
            }
          },
          { timeoutMs: propagationBoundMs, intervalMs: 20, what: `replica ${i} refusing the deleted product` },
        ),
      ),
    );
    console.log(`[product-cache] deleted product refused ${refusedAfter.map((ms, i) => `by replica ${i} after ${ms} ms`).join(", ")}`);
  });
});
