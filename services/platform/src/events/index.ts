export * from "./cloud-events.ts";
export * from "./event-bus.ts";
export * from "./event-consumer.ts";
export * from "./invalidation-feed.ts";
export * from "./kafka-event-bus.ts";
export * from "./outbox.ts";
export * from "./outbox-relay.ts";
export * from "./kafka-client.ts";
