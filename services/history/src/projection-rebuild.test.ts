// Rebuilding the projection from scratch with two replicas running on one
// database and consumer group, as in the cluster: POST
// /admin/projection/rebuild on one of them stops both consumers, empties the
// projection and the inbox, resets the group to the earliest offsets, and the
// projection comes back with exactly the rows it had.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createTestDatabase, eventually } from "@meshmart/platform/test-support";
import { ProductCreatedSchema } from "@meshmart/proto/catalog/v1/events_pb";
import { OrderStatus } from "@meshmart/proto/orders/v1/orders_pb";
import { rebuildPath } from "./projection-admin.ts";
import { createProjectionSources, event, orderLife, shuffled, startTestHistory, type ProjectionSources, type TestHistory } from "./test-projection.ts";

describe("rebuilding the projection", () => {
  let sources: ProjectionSources;
  let a: TestHistory;
  let b: TestHistory;
  const handledIds: string[] = [];

  before(async () => {
    sources = await createProjectionSources();
    const databaseUrl = await createTestDatabase("history");
    a = await startTestHistory(sources, { databaseUrl });
    b = await startTestHistory(sources, { databaseUrl });
    const products = [randomUUID(), randomUUID(), randomUUID()];
    const lives = Array.from({ length: 8 }, (_, i) =>
      orderLife({
        products: [
          { id: products[i % 3]!, quantity: 1 + i, price: 100n * BigInt(i + 1) },
          { id: products[(i + 1) % 3]!, quantity: 1, price: 999n },
        ],
        outcome: i % 2 === 0 ? "confirmed" : "cancelled-after-booking",
      }),
    );
    handledIds.push(
      ...(await sources.emit([
        ...shuffled(lives.flatMap((life) => life.events)),
        // Two of the three products are ever created: the third's lines keep an empty name.
        event(ProductCreatedSchema, { productId: products[0]!, sku: "A", name: "Anvil", price: { currencyCode: "EUR", unitsMinor: 100n } }, products[0]!),
        event(ProductCreatedSchema, { productId: products[1]!, sku: "B", name: "Bellows", price: { currencyCode: "EUR", unitsMinor: 200n } }, products[1]!),
      ])),
    );
    await a.handled(handledIds);
  });
  after(async () => {
    await a.stop();
    await b.stop();
    await sources.close();
  });


  /** Everything the projection holds, in a stable order. */
  const snapshot = async () => ({
    summaries: await a.listAll({}, 3),
    products: (await a.service.runtime.db.query("SELECT * FROM products ORDER BY product_id")).rows,
    lines: (await a.service.runtime.db.query("SELECT * FROM order_lines ORDER BY order_id, line_no")).rows,
  });
  const rebuild = (on: TestHistory) => fetch(`${on.service.url}${rebuildPath}`, { method: "POST" });

  it("gives the same rows as before it, with the other replica's consumer stopped meanwhile; a second request meanwhile is 409", async () => {
    const before = await snapshot();
    assert.equal(before.summaries.length, 8);
    assert.ok(before.summaries.some((s) => s.lines.some((l) => l.productName === "")), "a line whose product was never created");

    const running = rebuild(a);
    // Once A has claimed the rebuild (asked first, but on a busy machine B's request could reach
    // the database first), and while A's rebuild waits for the group to empty, B refuses another.
    await eventually(async () => ((await (await fetch(`${b.service.url}${rebuildPath}`)).json()) as { rebuilding: boolean }).rebuilding || undefined, {
      what: "A's rebuild under way",
      timeoutMs: 10_000,
      intervalMs: 10,
    });
    const second = await eventually(async () => {
      const res = await rebuild(b);
      return res.status === 409 ? res : undefined;
    }, { what: "a 409 from the other replica", timeoutMs: 10_000, intervalMs: 20 });
    assert.match(((await second.json()) as { error: string }).error, /under way/);

    const res = await running;
    assert.equal(res.status, 200, await res.clone().text());
    const report = (await res.json()) as { generation: number; topics: string[] };
    assert.equal(report.generation, 1);
    assert.deepEqual(report.topics.length, 4);

    // Consumed again from the beginning: every event is in the inbox again, nothing pending.
    await a.handled(handledIds);
    await eventually(async () => {
      const status = await a.client.getProjectionStatus({});
      return !status.rebuilding && status.topics.every((t) => t.pendingMessages === 0n && t.lagSeconds === 0) ? status : undefined;
    }, { what: "no lag after the rebuild", timeoutMs: 60_000 });
    assert.deepEqual(await snapshot(), before);

    // Each event was applied once after the rebuild began, by one replica or the other.
    const applied = async (h: TestHistory) => (await h.client.getProjectionStatus({})).topics.reduce((n, t) => n + Number(t.eventsApplied), 0);
    assert.equal((await applied(a)) + (await applied(b)), handledIds.length);

    const state = (await (await fetch(`${b.service.url}${rebuildPath}`)).json()) as { rebuilding: boolean; generation: number; error: string };
    assert.deepEqual({ rebuilding: state.rebuilding, generation: state.generation, error: state.error }, { rebuilding: false, generation: 1, error: "" });
  });

  it("keeps folding new events after the rebuild: the other replica consumes again", async () => {
    await a.stop(); // B alone in the group: only its consumer can handle these
    const life = orderLife({ products: [{ id: randomUUID(), quantity: 1, price: 10n }], outcome: "confirmed" });
    await b.handled(await sources.emit(life.events));
    const { order } = await b.client.getOrderHistory({ orderId: life.orderId });
    assert.equal(order?.status, OrderStatus.CONFIRMED);
    assert.match(order?.trackingNumber ?? "", /^PX-/);
  });
});
