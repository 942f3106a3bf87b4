// meshmart's events checked by the official CloudEvents SDK (the `cloudevents`
// npm package) on the real Kafka: its Kafka binding reads what the relay
// publishes as valid CloudEvents 1.0 in binary mode, with every required
// attribute, the data content type and the Distributed Tracing extension; and
// an event the SDK produces in binary mode is handled by meshmart's consumer.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fromBinary, toBinary, create } from "@bufbuild/protobuf";
import { CloudEvent, Kafka, type KafkaMessage } from "cloudevents";
import { ProductPriceChangedSchema } from "@meshmart/proto/catalog/v1/events_pb";
import { inSpan } from "../telemetry/spans.ts";
import { activeTraceIds } from "../telemetry/trace-context.ts";
import { eventually, testKafkaBrokers } from "../test-support.ts";
import type { ConsumedMessage } from "./event-bus.ts";
import { createEventWorld, emitPrice, type EventWorld } from "./event-test-kit.ts";
import { kafkaClients } from "./kafka-client.ts";

const traceparentPattern = /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/;

for (const client of kafkaClients) {
  describe(`CloudEvents, checked by the cloudevents SDK (${client})`, () => {
    let world: EventWorld;
    beforeEach(async () => {
      world = await createEventWorld({ brokers: testKafkaBrokers(), client });
    });
    afterEach(() => world.close());

    it("reads every message the relay publishes as a valid binary-mode CloudEvent with the data content type and the trace extension", async () => {
      const messages: ConsumedMessage[] = [];
      const collector = await world.bus.subscribe({
        groupId: `${world.group}-sdk-${randomUUID()}`,
        topics: [world.topic],
        fromBeginning: true,
        onMessage: async (message) => {
          messages.push(message);
          return true;
        },
      });
      try {
        world.relay.start();
        const products = [randomUUID(), randomUUID(), randomUUID()];
        const traces = new Map<string, string>();
        for (const [i, product] of products.entries()) {
          // Each write in a root span of its own, as a request's would be.
          await inSpan(`test request ${i}`, { root: true }, async () => {
            traces.set(product, activeTraceIds()!.traceId);
            await emitPrice(world, product, BigInt(100 + i));
          });
        }
        await eventually(() => (messages.length === products.length ? true : undefined), { what: "every message" });

        for (const message of messages) {
          const value = Buffer.from(message.value);
          // (The SDK's Message type also wants the value as `body`.)
          const kafkaMessage: KafkaMessage<Buffer> = { key: message.key, value, body: value, headers: message.headers };
          assert.ok(Kafka.isEvent(kafkaMessage), "the SDK recognises a CloudEvent");
          const event = Kafka.toEvent(kafkaMessage) as CloudEvent<Buffer>;
          assert.equal(event.validate(), true); // throws a ValidationError listing what is wrong
          // The required attributes, and the optional ones meshmart sets.
          assert.equal(event.specversion, "1.0");
          assert.match(event.id, /^[0-9a-f-]{36}$/);
          assert.equal(event.source, "/meshmart/event-test");
          assert.equal(event.type, "meshmart.catalog.v1.ProductPriceChanged");
          assert.equal(event.subject, message.key, "the subject is the aggregate id");
          assert.ok(event.time && !Number.isNaN(Date.parse(event.time)));
          assert.equal(event.dataschema, "urn:proto:meshmart.catalog.v1.ProductPriceChanged");
          assert.equal(event.datacontenttype, "application/protobuf");
          assert.equal(event.partitionkey, message.key);
          // The Distributed Tracing extension carries the producer's trace.
          const traceparent = typeof event["traceparent"] === "string" ? event["traceparent"] : "";
          assert.match(traceparent, traceparentPattern);
          assert.equal(traceparentPattern.exec(traceparent)?.[1], traces.get(message.key));
          // The data is the binary protobuf message its type names.
          const data = fromBinary(ProductPriceChangedSchema, new Uint8Array(event.data!));
          assert.equal(data.productId, message.key);
        }
      } finally {
        await collector.stop();
      }
    });

    it("handles an event the SDK produced in binary mode: once, by its id, in its trace", async () => {
      await world.consumer.start();
      const product = randomUUID();
      const traceId = randomUUID().replaceAll("-", "");
      const event = new CloudEvent({
        id: randomUUID(),
        source: "/sdk/test",
        type: "meshmart.catalog.v1.ProductPriceChanged",
        subject: product,
        datacontenttype: "application/protobuf",
        partitionkey: product,
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        data: Buffer.from(
          toBinary(
            ProductPriceChangedSchema,
            create(ProductPriceChangedSchema, {
              productId: product,
              oldPrice: { currencyCode: "EUR", unitsMinor: 1n },
              newPrice: { currencyCode: "EUR", unitsMinor: 42n },
            }),
          ),
        ),
      });
      const message = Kafka.binary(event);
      assert.equal(message.headers["ce_id"], event.id, "binary mode: the attributes are ce_ headers");
      const headers = Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, String(value)]));
      const publish = () => world.bus.publish([{ topic: world.topic, key: String(message.key), value: new Uint8Array(message.value as Buffer), headers }]);
      await publish();
      await publish(); // a duplicate: the inbox skips it

      const effects = await eventually(async () => {
        const rows = await world.effects();
        return rows.length > 0 ? rows : undefined;
      }, { what: "the SDK's event handled" });
      await emitPrice(world, product, 43n); // a marker behind the duplicate
      world.relay.start();
      await eventually(async () => ((await world.effects()).length === 2 ? true : undefined), { what: "the marker" });
      const [handled] = effects;
      assert.equal(handled?.event_id, event.id);
      assert.equal(handled?.product_id, product);
      assert.equal(handled?.price, "42");
      assert.equal(handled?.trace_id, traceId, "the consumer continues the SDK event's trace");
      assert.equal((await world.effects()).filter((e) => e.event_id === event.id).length, 1, "handled once");
    });
  });
}
