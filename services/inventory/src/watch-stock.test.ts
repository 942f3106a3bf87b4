// WatchStock end to end: two replicas on one database, so a change made on
// one reaches a stream on the other (LISTEN/NOTIFY, not process memory); a
// stream ends when its client goes away and when the server drains.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { startService, type RunningService } from "@meshmart/platform";
import { createTestDatabase, eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import { InventoryService, type Stock } from "@meshmart/proto/inventory/v1/inventory_pb";
import { inventoryService } from "./index.ts";

describe("WatchStock", () => {
  let replicaA: RunningService;
  let replicaB: RunningService;
  let clientA: Client<typeof InventoryService>;
  let clientB: Client<typeof InventoryService>;

  before(async () => {
    const env = {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: await createTestDatabase("inventory_watch"),
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString("hex")}.`,
      OUTBOX_POLL_MS: "100",
    };
    replicaA = await startService(inventoryService, { env });
    // A group of its own: stopping A then needs no Kafka rebalance (slow, and beside the point here).
    replicaB = await startService(inventoryService, { env: { ...env, KAFKA_CONSUMER_GROUP: "inventory-b" } });
    clientA = createClient(InventoryService, createGrpcTransport({ baseUrl: replicaA.url }));
    clientB = createClient(InventoryService, createConnectTransport({ baseUrl: replicaB.url, httpVersion: "1.1" }));
  });
  after(async () => {
    await replicaB.stop();
    await replicaA.stop();
  });

  /** Collects a stream's messages in the background. */
  function watch(client: Client<typeof InventoryService>, productIds: string[]) {
    const controller = new AbortController();
    const received: Stock[] = [];
    const done = (async () => {
      for await (const { stock } of client.watchStock({ productIds }, { signal: controller.signal })) received.push(stock!);
    })();
    return { received, done, abort: () => controller.abort() };
  }
  const shape = (stock: Stock) => [stock.productId, Number(stock.available), Number(stock.reserved), Number(stock.sold)];

  it("sends the current stock first, then every change, whichever replica made it", async () => {
    const productId = randomUUID();
    const never = randomUUID();
    await clientA.setStock({ productId, available: 10n });
    const stream = watch(clientA, [productId, never]);
    await eventually(() => (stream.received.length >= 2 ? true : undefined), { what: "the snapshot" });
    assert.deepEqual(stream.received.map(shape), [
      [productId, 10, 0, 0],
      [never, 0, 0, 0],
    ]);
    assert.equal(stream.received[1]!.updateTime, undefined, "no record yet");

    // One change at a time: changes that arrive together are coalesced to the newest per product.
    const changes = async (n: number) =>
      eventually(() => (stream.received.length >= n ? true : undefined), { what: `${n} messages` });
    await clientB.reserve({ orderId: randomUUID(), items: [{ productId, quantity: 4 }] });
    await changes(3);
    await clientB.setStock({ productId: randomUUID(), available: 1n }); // not watched: not sent
    await clientB.setStock({ productId, available: 2n });
    await changes(4);
    await clientB.setStock({ productId: never, available: 7n });
    await changes(5);
    assert.deepEqual(stream.received.slice(2).map(shape), [
      [productId, 6, 4, 0],
      [productId, 2, 4, 0],
      [never, 7, 0, 0],
    ]);
    assert.equal(stream.received[4]!.stocked, 7n);

    stream.abort();
    await assert.rejects(stream.done, (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.Canceled);
      return true;
    });
    // The server let go of the stream: its next change is sent to nobody, and nothing breaks.
    await clientA.setStock({ productId, available: 3n });
    assert.equal(stream.received.length, 5);
  });

  it("survives the loss of its LISTEN session: reconnects and re-reads what it may have missed", async () => {
    const productId = randomUUID();
    await clientB.setStock({ productId, available: 5n });
    const stream = watch(clientA, [productId]);
    await eventually(() => (stream.received.length === 1 ? true : undefined), { what: "the snapshot" });

    const { rows } = await replicaB.runtime.db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN meshmart_stock'",
    );
    assert.ok(rows.length >= 1, "a LISTEN session was there to kill");
    await clientB.setStock({ productId, available: 8n }); // may land while no session listens
    await eventually(() => (stream.received.at(-1)?.available === 8n ? true : undefined), { what: "the change after reconnecting" });
    await clientB.setStock({ productId, available: 9n });
    await eventually(() => (stream.received.at(-1)?.available === 9n ? true : undefined), { what: "a later change" });
    stream.abort();
    await stream.done.catch(() => {});
  });

  it("rejects an invalid request with InvalidArgument", async () => {
    const stream = watch(clientB, ["not-a-uuid"]);
    await assert.rejects(stream.done, (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.InvalidArgument);
      return true;
    });
  });

  it("ends open streams cleanly when the server drains, without waiting out the shutdown timeout", async () => {
    const productId = randomUUID();
    await clientB.setStock({ productId, available: 1n });
    const overGrpc = watch(clientA, [productId]);
    const overConnect = watch(createClient(InventoryService, createConnectTransport({ baseUrl: replicaA.url, httpVersion: "1.1" })), [productId]);
    await eventually(() => (overGrpc.received.length + overConnect.received.length === 2 ? true : undefined), { what: "snapshots" });

    const started = Date.now();
    const stopped = replicaA.stop();
    await overGrpc.done;
    await overConnect.done;
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2_000, `streams ended ${elapsed} ms after the drain began (the shutdown timeout is 10 s)`);
    await stopped;
  });
});
