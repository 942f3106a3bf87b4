// The event bus as the rest of meshmart sees it. Only its adapters know that
// Kafka is behind it: kafka-event-bus.ts (kafkajs) and platformatic-event-bus.ts
// (@platformatic/kafka), chosen by KAFKA_CLIENT (kafka-client.ts).

/**
 * Every consumer's group session: a member that stops heartbeating (a process
 * killed with -9, or one whose broker connections broke so it could not leave
 * the group before it rejoined as a new member) keeps its partitions this
 * long before the broker gives them to another member, so it is the floor of
 * recovery from a lost consumer. 10 s rather than kafkajs' 30 s: consumers
 * heartbeat every second, during slow handling too (event-consumer.ts), so
 * only a process stalled for 10 s is taken for dead; Kafka's floor
 * (group.min.session.timeout.ms) is 6 s. Both adapters use it, so their
 * recovery times compare.
 */
export const consumerSession = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 } as const;

/** A message on the wire: key, value and string headers. */
export interface BusMessage {
  topic: string;
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
}

export interface ConsumedMessage extends BusMessage {
  partition: number;
  offset: string;
}

export interface DeliveryControl {
  /** Tells the broker this consumer is alive during slow work. */
  heartbeat(): Promise<void>;
  /** False once the subscription is stopping: finish the current message and return. */
  isRunning(): boolean;
  /** Aborted when the subscription stops (or its partitions are taken away): waits end on it. */
  readonly signal: AbortSignal;
}

export interface SubscriptionOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. */
  fromBeginning?: boolean;
  /** Partitions handled at the same time (order holds within each partition). Default 1. */
  concurrency?: number;
  /**
   * Handles one message and resolves true; the bus commits the message's offset
   * only after that. Resolving false (the subscription is stopping) leaves the
   * message uncommitted, to be delivered again.
   */
  onMessage(message: ConsumedMessage, control: DeliveryControl): Promise<boolean>;
  /**
   * When set, the bus hands over the messages of a fetched batch (one
   * partition's, in order) together instead of one by one; it resolves how
   * many of them, from the first, are handled, and the bus commits the offset
   * past the last of those. A consumer can then handle several messages in one
   * database transaction.
   */
  onBatch?(messages: ConsumedMessage[], control: DeliveryControl): Promise<number>;
  /** Lag (messages not yet handled) per topic and partition, after each batch. */
  onLag?(topic: string, partition: number, lag: number): void;
  /**
   * False: no offset is ever committed, so the group starts where
   * `fromBeginning` says at every join (a per-process feed that only cares
   * about what happens from now on, and leaves nothing behind). Default true.
   */
  commitOffsets?: boolean;
  /** Told true each time the consumer has (re)joined its group, false when it crashed or stopped. */
  onMembership?(joined: boolean): void;
}

export interface Subscription {
  /** Finishes the message in hand, commits, and leaves the group. */
  stop(): Promise<void>;
}

export interface EventBus {
  /** Creates missing topics with the given partition count. */
  ensureTopics(topics: string[], partitions: number): Promise<void>;
  /** Publishes messages in order, with idempotence and acknowledgement from all in-sync replicas. */
  publish(messages: BusMessage[]): Promise<void>;
  subscribe(options: SubscriptionOptions): Promise<Subscription>;
  close(): Promise<void>;
}
