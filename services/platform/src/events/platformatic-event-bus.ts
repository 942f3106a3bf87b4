// The EventBus on Kafka, through @platformatic/kafka: the one file that
// imports it. Unlike kafkajs it speaks the protocol versions Kafka 4 kept
// (KIP-896), so it serves brokers from 3.5 to 4.x.
//
// Its consumer is a stream of single messages; this file gives them the
// shape kafka-event-bus.ts gives kafkajs's batches: messages are queued per
// partition, at most `concurrency` partitions are handled at a time (in
// order within each), a partition's queued messages are handed to onBatch
// together, and an offset is committed only after its message was handled.
import { Admin, Consumer, Producer, type Message, type MessagesStream } from "@platformatic/kafka";
import type { Logger } from "../logger.ts";
import { consumerSession, type BusMessage, type ConsumedMessage, type DeliveryControl, type EventBus, type Subscription, type SubscriptionOptions } from "./event-bus.ts";

export interface PlatformaticEventBusOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
}

type Raw = Message<Buffer, Buffer, Buffer, Buffer>;

/** Most messages handed to onBatch at once (the consumer caps its transactions itself). */
const maxHandOver = 500;
/** Queued messages (all partitions) above which the stream is paused until the handlers catch up. */
const highWater = 2_000;
/** How long a subscription whose stream failed (a broker outage) waits before it joins again. */
const restartDelayMs = 1_000;

export class PlatformaticEventBus implements EventBus {
  private producer: Producer | undefined;
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly options: PlatformaticEventBusOptions) {}

  async ensureTopics(topics: string[], partitions: number): Promise<void> {
    await this.withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length > 0) await admin.createTopics({ topics: missing, partitions, replicas: -1 });
      // Wait for a leader of each partition, as kafkajs's waitForLeaders does: a publish right after must not fail.
      await this.waitForLeaders(topics);
    });
  }

  async publish(messages: BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = this.connectedProducer();
    try {
      await producer.send({
        acks: -1,
        messages: messages.map((m) => ({
          topic: m.topic,
          key: Buffer.from(m.key, "utf8"),
          value: Buffer.from(m.value),
          headers: new Map(Object.entries(m.headers).map(([name, value]) => [Buffer.from(name), Buffer.from(value)])),
        })),
      });
    } catch (err) {
      // Start from a fresh producer next time, as the kafkajs bus does: the caller (the relay) retries.
      this.producer = undefined;
      await producer.close(true).catch(() => {});
      throw err;
    }
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    const subscription = new PlatformaticSubscription(this.options, options);
    await subscription.start();
    const handle: Subscription = {
      stop: async () => {
        this.subscriptions.delete(handle);
        await subscription.stop();
      },
    };
    this.subscriptions.add(handle);
    return handle;
  }

  /** Messages on `topics` that `groupId` has not committed yet, summed over partitions. */
  async groupLag(groupId: string, topics: string[]): Promise<number> {
    return this.withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const present = topics.filter((t) => existing.has(t));
      if (present.length === 0) return 0;
      const [high, low] = await Promise.all([this.listOffsets(admin, present, -1n), this.listOffsets(admin, present, -2n)]);
      const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
      let lag = 0n;
      for (const [key, end] of high) {
        const [topic, partition] = splitKey(key);
        const mine = group?.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition)?.committedOffset ?? -1n;
        lag += end - (mine < 0n ? (low.get(key) ?? 0n) : mine);
      }
      return Number(lag);
    });
  }

  /** Moves a consumer group (with no running members) back to the start of a topic: an operator's replay. */
  async rewind(groupId: string, topic: string): Promise<void> {
    await this.withAdmin(async (admin) => {
      const earliest = await this.listOffsets(admin, [topic], -2n);
      await admin.alterConsumerGroupOffsets({
        groupId,
        topics: [{ name: topic, partitionOffsets: [...earliest].map(([key, offset]) => ({ partition: splitKey(key)[1], offset })) }],
      });
    });
  }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) await subscription.stop().catch(() => {});
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close(true).catch(() => {});
  }

  private connectedProducer(): Producer {
    // The producer connects on its first send.
    this.producer ??= new Producer({
      ...clientOptions(this.options),
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
    });
    return this.producer;
  }

  private async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = new Admin(clientOptions(this.options));
    try {
      return await work(admin);
    } finally {
      await admin.close().catch(() => {});
    }
  }

  /** Offsets at `timestamp` (-1: the end, -2: the start) per "topic:partition". */
  private async listOffsets(admin: Admin, topics: string[], timestamp: bigint): Promise<Map<string, bigint>> {
    const metadata = await admin.metadata({ topics, forceUpdate: true });
    const listed = await admin.listOffsets({
      topics: topics.map((name) => ({
        name,
        partitions: Array.from({ length: metadata.topics.get(name)?.partitionsCount ?? 0 }, (_, partitionIndex) => ({
          partitionIndex,
          timestamp,
        })),
      })),
    });
    const offsets = new Map<string, bigint>();
    for (const topic of listed) for (const p of topic.partitions) offsets.set(`${topic.name}:${p.partitionIndex}`, p.offset);
    return offsets;
  }

  private async waitForLeaders(topics: string[]): Promise<void> {
    const admin = new Admin(clientOptions(this.options));
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const metadata = await admin.metadata({ topics, forceUpdate: true }).catch(() => undefined);
        const ready = metadata !== undefined && topics.every((t) => {
          const topic = metadata.topics.get(t);
          return topic !== undefined && topic.partitions.every((p) => p.leader >= 0);
        });
        if (ready) return;
        if (Date.now() > deadline) throw new Error(`topics ${topics.join(", ")} have no leader after 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await admin.close().catch(() => {});
    }
  }
}

function clientOptions(options: PlatformaticEventBusOptions) {
  return {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    connectTimeout: 3_000,
    timeout: 10_000,
    // Short retries: callers (relay, consumer) own the long-term retry policy.
    retries: 3,
    retryDelay: 200,
  };
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(":");
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

/** One partition's queue, and the signal its handler waits on (aborted when the partition is taken away). */
interface PartitionQueue {
  messages: Raw[];
  /** The offset after the last one queued: a refetch after a rebalance may send messages again. */
  next: bigint;
  ended: AbortController;
  busy: boolean;
}

/** A group membership whose stream is rebuilt when it fails (the broker went away), until stopped. */
class PlatformaticSubscription {
  private running = true;
  private readonly stopping = new AbortController();
  private consumer: Consumer | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private readonly queues = new Map<string, PartitionQueue>();
  private queued = 0;
  private active = 0;
  private idle: Array<() => void> = [];
  private restarting: Promise<void> | undefined;

  constructor(
    private readonly bus: PlatformaticEventBusOptions,
    private readonly options: SubscriptionOptions,
  ) {}

  async start(): Promise<void> {
    const consumer = new Consumer({
      ...clientOptions(this.bus),
      // A consumer's requests may wait out a whole long poll.
      timeout: 30_000,
      groupId: this.options.groupId,
      sessionTimeout: consumerSession.sessionTimeoutMs,
      heartbeatInterval: consumerSession.heartbeatIntervalMs,
    });
    this.consumer = consumer;
    // Events of a consumer this subscription has already replaced are ignored.
    const current = () => this.consumer === consumer;
    // A rejoin that failed is emitted as "error" (unhandled, it would end the process): join again from scratch.
    consumer.on("error", (err: Error) => {
      if (current()) this.failed(err);
    });
    consumer.on("consumer:heartbeat:stalled", ({ lastError, stalledFor }) => {
      if (current()) this.failed(lastError ?? new Error(`no heartbeat for ${stalledFor} ms`));
    });
    // Partitions taken away in a rebalance: their handlers end and their queued messages go (the new owner fetches them).
    consumer.on("consumer:group:join", ({ assignments }) => {
      if (!current()) return;
      const kept = new Set((assignments ?? []).flatMap((a) => a.partitions.map((p) => `${a.topic}:${p}`)));
      for (const [key, queue] of this.queues) {
        if (kept.has(key)) continue;
        queue.ended.abort();
        this.queued -= queue.messages.length;
        this.queues.delete(key);
      }
      // Told on every (re)join, as the kafkajs bus does: messages may have been missed while out of the group.
      this.options.onMembership?.(true);
    });
    let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
    try {
      stream = await consumer.consume({
        topics: this.options.topics,
        autocommit: false,
        mode: "committed",
        fallbackMode: (this.options.fromBeginning ?? true) ? "earliest" : "latest",
        // Long polls of at most 1 s: a stopping consumer waits for the fetch in flight.
        maxWaitTime: 1_000,
        sessionTimeout: consumerSession.sessionTimeoutMs,
        heartbeatInterval: consumerSession.heartbeatIntervalMs,
      });
    } catch (err) {
      this.consumer = undefined;
      await consumer.close(true).catch(() => {});
      throw err;
    }
    this.stream = stream;
    stream.on("data", (message: Raw) => {
      if (current()) this.enqueue(message);
    });
    stream.on("error", (err: Error) => {
      if (current()) this.failed(err);
    });
    if (this.options.onLag) {
      consumer.on("consumer:lag", (lag) => {
        for (const [topic, partitions] of lag) partitions.forEach((value, partition) => this.options.onLag?.(topic, partition, Number(value)));
      });
      // Swallowed: a lag reading that failed is only a metric not updated this time.
      consumer.on("consumer:lag:error", () => {});
      // Read from the broker every 5 s rather than after each batch (as the kafkajs bus does): messages carry no high watermark here.
      consumer.startLagMonitoring({ topics: this.options.topics }, 5_000);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await this.restarting;
    await this.teardown();
  }

  private enqueue(message: Raw): void {
    const key = `${message.topic}:${message.partition}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { messages: [], next: -1n, ended: new AbortController(), busy: false };
      this.queues.set(key, queue);
    }
    if (message.offset < queue.next) return; // already queued or handled
    queue.next = message.offset + 1n;
    queue.messages.push(message);
    this.queued++;
    if (this.queued > highWater) this.stream?.pause();
    this.pump();
  }

  /** Starts handlers for queued partitions, up to the concurrency. */
  private pump(): void {
    const concurrency = this.options.concurrency ?? 1;
    for (const [key, queue] of this.queues) {
      if (this.active >= concurrency) return;
      if (queue.busy || queue.messages.length === 0 || !this.running) continue;
      queue.busy = true;
      this.active++;
      void this.drain(key, queue).finally(() => {
        queue.busy = false;
        this.active--;
        if (this.active === 0) for (const wake of this.idle.splice(0)) wake();
        this.pump();
      });
    }
  }

  /** Handles one partition's queued messages in order until it is empty or must stop. */
  private async drain(key: string, queue: PartitionQueue): Promise<void> {
    const signal = AbortSignal.any([this.stopping.signal, queue.ended.signal]);
    const control: DeliveryControl = {
      heartbeat: async () => {}, // @platformatic/kafka heartbeats in the background
      isRunning: () => this.running && !signal.aborted,
      signal,
    };
    try {
      while (queue.messages.length > 0 && control.isRunning()) {
        const batch = queue.messages.slice(0, this.options.onBatch ? maxHandOver : 1);
        const handled = this.options.onBatch
          ? await this.options.onBatch(batch.map(consumed), control)
          : (await this.options.onMessage(consumed(batch[0]!), control)) ? 1 : 0;
        if (handled === 0 || signal.aborted) break;
        const last = batch[handled - 1]!;
        // Not awaited before the next message: a commit lost in a crash only redelivers what the inbox already holds.
        // Not retried either (the kafkajs adapter's offset-committer.ts is): a failed last commit before rest
        // leaves lag until the next message or join.
        if (this.options.commitOffsets !== false) {
          Promise.resolve(last.commit()).catch((err: Error) =>
            this.bus.logger?.debug({ err: err.message, key }, "offset commit failed; the next one covers it"),
          );
        }
        queue.messages.splice(0, handled);
        this.queued -= handled;
        if (this.queued < highWater / 2 && this.stream?.isPaused()) this.stream.resume();
      }
    } catch (err) {
      // The consumer catches its handlers' errors; anything here is a bug: leave the messages for redelivery.
      this.bus.logger?.error({ err, key }, "event handler failed outside the consumer");
      this.failed(err as Error);
    }
  }

  /** The stream failed (a broker outage): drop the membership and join again once the handlers finished. */
  private failed(err: Error): void {
    if (!this.running || this.restarting) return;
    this.bus.logger?.warn({ err: err.message, groupId: this.options.groupId }, "Kafka consumer failed; it joins its group again");
    this.restarting = (async () => {
      while (this.running) {
        await this.teardown();
        await new Promise((resolve) => setTimeout(resolve, restartDelayMs));
        if (!this.running) return;
        try {
          await this.start();
          return;
        } catch (startErr) {
          this.bus.logger?.debug({ err: (startErr as Error).message }, "Kafka consumer could not join yet");
        }
      }
    })().finally(() => {
      this.restarting = undefined;
    });
  }

  /** Ends the handlers, waits for them, and closes the stream and the consumer (committing what they handled). */
  private async teardown(): Promise<void> {
    for (const queue of this.queues.values()) queue.ended.abort();
    if (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.queues.clear();
    this.queued = 0;
    const { stream, consumer } = this;
    this.stream = undefined;
    this.consumer = undefined;
    if (consumer) this.options.onMembership?.(false);
    consumer?.stopLagMonitoring();
    await stream?.close().catch(() => {});
    await consumer?.close(true).catch(() => {});
  }
}

function consumed(message: Raw): ConsumedMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of message.headers) headers[name.toString()] = value.toString();
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    key: message.key?.toString("utf8") ?? "",
    value: message.value ?? Buffer.alloc(0),
    headers,
  };
}
