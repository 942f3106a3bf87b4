// A broker outage only delays events: with a private Kafka broker stopped,
// 500 writes still succeed; when it returns, all 500 events arrive, once each,
// and the consumer group commits past all of them.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startKafka, type KafkaHandle } from "@meshmart/infra/kafka";
import { eventually } from "../test-support.ts";
import { createEventWorld, emitPrice, type EventWorld } from "./event-test-kit.ts";
import { kafkaClients } from "./kafka-client.ts";

for (const client of kafkaClients) {
  describe(`broker outage (${client})`, () => {
    let kafka: KafkaHandle;
    let world: EventWorld;

    before(async () => {
      // A broker of its own (not the shared one in KAFKA_BROKERS), so that stopping it disturbs no other test.
      kafka = await startKafka({ profile: "test-outage", port: Number(process.env.MESHMART_OUTAGE_KAFKA_PORT ?? 19192), own: true });
      world = await createEventWorld({ brokers: kafka.brokers, client });
    });
    after(async () => {
      await world?.close();
      await kafka?.stop();
    });

    it("loses none of 500 writes made while the broker is down", async () => {
      world.relay.start();
      await world.consumer.start();
      const warmup = randomUUID();
      await emitPrice(world, warmup, 1n);
      await eventually(async () => ((await world.effects()).length === 1 ? true : undefined), { what: "warm-up event" });

      await kafka.stop();
      const products = Array.from({ length: 500 }, () => randomUUID());
      const results = await Promise.allSettled(products.map((id, i) => emitPrice(world, id, BigInt(i))));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 500, "every write succeeded during the outage");
      const backlog = await world.db.query("SELECT 1 FROM outbox WHERE published_at IS NULL");
      assert.equal(backlog.rowCount, 500, "all 500 events wait in the outbox");

      await kafka.start();
      const effects = await eventually(async () => {
        const rows = await world.effects();
        return rows.length >= 501 ? rows : undefined;
      }, { what: "all 501 effects", timeoutMs: 120_000, intervalMs: 500 });
      const seen = new Set(effects.map((e) => e.product_id));
      for (const id of products) assert.ok(seen.has(id), `event for ${id} arrived`);
      assert.equal(effects.length, 501, "none applied twice");
      const unpublished = await world.db.query("SELECT 1 FROM outbox WHERE published_at IS NULL");
      assert.equal(unpublished.rowCount, 0);
      // At rest: the group committed past every message it handled, with no later message to carry the commit.
      await eventually(async () => ((await world.bus.groupLag(world.group, [world.topic])) === 0 ? true : undefined), { what: "group lag 0 after the outage", timeoutMs: 60_000 });
    });
  });
}
