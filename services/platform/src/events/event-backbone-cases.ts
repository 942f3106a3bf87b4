// The event backbone's cases on the real PostgreSQL and Kafka: outbox ->
// relay -> Kafka -> consumer with inbox. Each test has its own topics and
// database. Run for each Kafka client (event-backbone.test.ts) and on a
// Kafka 4 broker (kafka4-backbone.test.ts).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ProductPriceChangedSchema } from "@meshmart/proto/catalog/v1/events_pb";
import { eventually } from "../test-support.ts";
import { inSpan } from "../telemetry/spans.ts";
import { activeTraceIds } from "../telemetry/trace-context.ts";
import { createLogger } from "../logger.ts";
import { DependencyUnavailableError } from "./event-consumer.ts";
import { startInvalidationFeed } from "./invalidation-feed.ts";
import { KafkaEventBus } from "./kafka-event-bus.ts";
import type { ConsumedMessage } from "./event-bus.ts";
import { createEventWorld, emitPrice, type EventWorld } from "./event-test-kit.ts";
import type { KafkaClient } from "./kafka-client.ts";

/** The backbone cases, with `client` on the brokers `brokers()` names (read when each case starts). */
export function describeBackbone(client: KafkaClient, brokers: () => string[]): void {
  describe(`event backbone (${client})`, () => {
    let world: EventWorld;
    const cleanups: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      world = await createEventWorld({ brokers: brokers(), client, maxAttempts: 3 });
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
      await world.close();
    });

    /** Collects every message on `topic` from the start, with a throwaway group. */
    async function collect(topic: string): Promise<ConsumedMessage[]> {
      const messages: ConsumedMessage[] = [];
      const subscription = await world.bus.subscribe({
        groupId: `${world.group}-collector-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        onMessage: async (message) => {
          messages.push(message);
          return true;
        },
      });
      cleanups.push(() => subscription.stop());
      return messages;
    }

    it("delivers an event committed while the relay was down, once, after the relay starts", async () => {
      await world.consumer.start();
      const product = randomUUID();
      await emitPrice(world, product, 100n);
      await sleep(1_000);
      assert.equal((await world.effects()).length, 0, "nothing is published without the relay");
      const pending = await world.db.query("SELECT 1 FROM outbox WHERE published_at IS NULL");
      assert.equal(pending.rowCount, 1, "the event waits in the outbox");

      world.relay.start();
      const effects = await eventually(async () => {
        const rows = await world.effects();
        return rows.length > 0 ? rows : undefined;
      }, { what: "the effect" });
      assert.equal(effects[0]!.product_id, product);
      await sleep(1_000);
      assert.equal((await world.effects()).length, 1, "the effect happened once");
    });

    it("applies an event delivered twice, and again after an offset rewind, exactly once", async () => {
      world.relay.start();
      await world.consumer.start();
      const product = randomUUID();
      await emitPrice(world, product, 7n);
      await eventually(async () => ((await world.effects()).length === 1 ? true : undefined), { what: "first delivery" });

      // The same message published again (as a producer retry would): same ce_id.
      const [original] = await collect(world.topic).then(async (messages) => {
        await eventually(() => (messages.length > 0 ? true : undefined), { what: "collector" });
        return messages;
      });
      await world.bus.publish([{ topic: world.topic, key: original!.key, value: original!.value, headers: original!.headers }]);

      // And the consumer's offsets rewound to the beginning.
      await world.consumer.stop();
      await world.bus.rewind(world.group, world.topic);
      await world.restartConsumer();
      await emitPrice(world, product, 8n); // a marker behind the duplicates
      await eventually(async () => ((await world.effects()).length === 2 ? true : undefined), { what: "marker event" });
      const effects = await world.effects();
      assert.deepEqual(effects.map((e) => e.price), ["7", "8"], "each event took effect once");
      // Caught up: no lag, also on the partitions no message went to, where the rewind left its "earliest" marker.
      await eventually(async () => ((await world.bus.groupLag(world.group, [world.topic])) === 0 ? true : undefined), { what: "group lag 0 after the rewind" });
    });

    it("dead-letters a poison message after the configured attempts, with its headers and the error, and goes on", async () => {
      const poison = randomUUID();
      let poisonAttempts = 0;
      world.beforeEffect = (event) => {
        if (event.productId === poison) {
          poisonAttempts++;
          throw new Error("poison pill");
        }
      };
      world.relay.start();
      await world.consumer.start();
      const poisonId = await emitPrice(world, poison, 1n);
      const healthy = randomUUID();
      await emitPrice(world, healthy, 2n);

      const dead = await collect(`${world.topic}.dlq`);
      const letter = await eventually(() => dead[0], { what: "dead letter" });
      assert.equal(poisonAttempts, 3);
      assert.equal(letter.headers.ce_id, poisonId, "original CloudEvents headers kept");
      assert.equal(letter.headers.ce_type, "meshmart.catalog.v1.ProductPriceChanged");
      assert.match(letter.headers.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      assert.equal(letter.headers.dlq_attempts, "3");
      assert.match(letter.headers.dlq_error ?? "", /poison pill/);
      assert.equal(letter.key, poison);

      await eventually(async () => ((await world.effects()).some((e) => e.product_id === healthy) ? true : undefined), {
        what: "the next message handled",
      });
      assert.ok(!(await world.effects()).some((e) => e.product_id === poison), "the poison never took effect");
    });

    it("pauses, rather than dead-letters, while a dependency is down", async () => {
      let outage = 4;
      world.beforeEffect = () => {
        if (outage-- > 0) throw new DependencyUnavailableError("database is down");
      };
      world.relay.start();
      await world.consumer.start();
      const product = randomUUID();
      await emitPrice(world, product, 3n);
      const dead = await collect(`${world.topic}.dlq`);
      await eventually(async () => ((await world.effects()).length === 1 ? true : undefined), { what: "effect after outage" });
      assert.equal(outage, -1, "the handler was retried through the outage (more attempts than maxAttempts)");
      assert.equal(dead.length, 0);
    });

    it("keeps the order of each aggregate's events under concurrent writers", async () => {
      const aggregates = Array.from({ length: 5 }, () => randomUUID());
      await world.db.query("CREATE TABLE versions (id uuid PRIMARY KEY, version bigint NOT NULL)");
      for (const id of aggregates) await world.db.query("INSERT INTO versions VALUES ($1, 0)", [id]);
      world.relay.start();
      await world.consumer.start();

      // 8 writers, each bumping random aggregates' versions under a row lock, as services do.
      const perWriter = 25;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < perWriter; i++) {
            const id = aggregates[Math.floor(Math.random() * aggregates.length)]!;
            await world.db.transaction(async (tx) => {
              const { rows } = await tx.query<{ version: string }>(
                "UPDATE versions SET version = version + 1 WHERE id = $1 RETURNING version::text",
                [id],
              );
              await world.outbox.emit(
                tx,
                ProductPriceChangedSchema,
                { productId: id, oldPrice: { currencyCode: "EUR" }, newPrice: { currencyCode: "EUR", unitsMinor: BigInt(rows[0]!.version) } },
                { key: id },
              );
            });
          }
        }),
      );
      const total = 8 * perWriter;
      const effects = await eventually(async () => {
        const rows = await world.effects();
        return rows.length === total ? rows : undefined;
      }, { what: `${total} effects`, timeoutMs: 60_000 });
      for (const id of aggregates) {
        const versions = effects.filter((e) => e.product_id === id).map((e) => Number(e.price));
        assert.deepEqual(versions, versions.map((_, i) => i + 1), `aggregate ${id} applied in order`);
      }
    });

    it("an invalidation feed (a group of its own, from the latest offset) sees what is published after it joined, tells its membership, and commits nothing", async () => {
      world.relay.start();
      const before = randomUUID();
      await emitPrice(world, before, 100n);
      await eventually(async () => ((await world.db.query("SELECT 1 FROM outbox WHERE published_at IS NULL")).rowCount === 0 ? true : undefined), { what: "the first event published" });
      const seen: Array<{ type: string; key: string }> = [];
      const live: boolean[] = [];
      const feed = await startInvalidationFeed({
        bus: world.bus,
        purpose: `${world.group}-feed`,
        topics: [world.topic],
        logger: createLogger("backbone-test", "silent"),
        onEvent: (type, key) => seen.push({ type, key }),
        onLive: (joined) => live.push(joined),
      });
      await eventually(async () => (live.includes(true) ? true : undefined), { what: "the feed joined its group" });
      // "Joined" comes before kafkajs has resolved the latest offset, so an
      // event published in that instant may fall before the feed's start:
      // publish anew until one arrives (at most 5), as a cache expects of it.
      let after = "";
      let published = 1;
      for (let attempt = 1; attempt <= 5 && !seen.some((e) => e.key === after); attempt++) {
        after = randomUUID();
        await emitPrice(world, after, 200n);
        published++;
        await eventually(async () => (seen.some((e) => e.key === after) ? true : undefined), {
          what: "the feed saw the event published after it joined",
          timeoutMs: 6_000,
        }).catch((error: unknown) => { if (attempt === 5) throw error; });
      }
      assert.deepEqual(seen.find((e) => e.key === after)?.type, "meshmart.catalog.v1.ProductPriceChanged");
      assert.ok(!seen.some((e) => e.key === before), "nothing from before it joined (latest offset)");
      if (client === "kafkajs") {
        // The operator's view of a group behind (make verify prints it when not at rest): the one member holds every partition, none committed.
        const admin = new KafkaEventBus({ brokers: brokers(), clientId: "backbone-test" });
        const report = await admin.describeGroupLag(feed.groupId, [world.topic]).finally(() => admin.close());
        assert.equal(report.state, "Stable");
        assert.equal(report.members.length, 1);
        assert.deepEqual([...(report.members[0]!.partitions[world.topic] ?? [])].sort(), [0, 1, 2]);
        assert.equal(report.behind.reduce((sum, p) => sum + p.lag, 0), published);
        assert.ok(report.behind.every((p) => p.committed === "-1"), JSON.stringify(report.behind));
      }
      await feed.stop();
      assert.equal(live.at(-1), false, "told it is no longer live once stopped");
      // No commits: the group's lag counts every message on the topic.
      assert.equal(await world.bus.groupLag(feed.groupId, [world.topic]), published);
    });

    it("puts well-formed CloudEvents headers on every message, and continues the producer's trace", async () => {
      world.relay.start();
      await world.consumer.start();
      const traces: string[] = [];
      for (let i = 0; i < 5; i++) {
        // Each write in a root span of its own, as a request's would be.
        await inSpan("test request", { root: true }, async () => {
          traces.push(activeTraceIds()!.traceId);
          await emitPrice(world, randomUUID(), BigInt(i));
        });
      }
      const messages = await collect(world.topic);
      await eventually(() => (messages.length === 5 ? true : undefined), { what: "5 messages" });
      for (const message of messages) {
        const h = message.headers;
        assert.equal(h.ce_specversion, "1.0");
        assert.match(h.ce_id ?? "", /^[0-9a-f-]{36}$/);
        assert.equal(h.ce_source, "/meshmart/event-test");
        assert.equal(h.ce_type, "meshmart.catalog.v1.ProductPriceChanged");
        assert.ok(!Number.isNaN(Date.parse(h.ce_time ?? "")) && /Z$/.test(h.ce_time ?? ""), `ce_time is RFC 3339: ${h.ce_time}`);
        assert.equal(h.ce_subject, message.key, "subject is the aggregate id");
        assert.equal(h["content-type"], "application/protobuf");
        assert.match(h.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      }
      const effects = await eventually(async () => {
        const rows = await world.effects();
        return rows.length === 5 ? rows : undefined;
      }, { what: "5 effects" });
      assert.deepEqual(effects.map((e) => e.trace_id).sort(), [...traces].sort(), "consumer trace ids equal the producers'");
    });
  });
}
