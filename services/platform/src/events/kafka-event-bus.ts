// The EventBus on Kafka, through kafkajs. The one file that imports kafkajs.
import { AssignerProtocol, Kafka, logLevel, type Admin, type Consumer, type IHeaders, type Producer } from "kafkajs";
import type { Logger } from "../logger.ts";
import { OffsetCommitter } from "./offset-committer.ts";
import { consumerSession, type BusMessage, type EventBus, type Subscription, type SubscriptionOptions } from "./event-bus.ts";

export interface KafkaEventBusOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
}

/**
 * How long a consumer may go without fetching (no batch in hand) before the
 * watchdog replaces it. A healthy one fetches at least every maxWaitTimeInMs
 * (1 s), paused partitions or not; kafkajs's own retries give up in about 35 s.
 */
const consumerStallMs = 60_000;

export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly options: KafkaEventBusOptions) {
    const log = options.logger?.child({ component: "kafkajs" });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      // Short retries: callers (relay, consumer) own the long-term retry policy.
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        const { message, ...extra } = entry.log;
        if (entry.level <= logLevel.ERROR) log?.debug({ ...extra, kafkaLevel: "error" }, message);
        else log?.debug(extra, message);
      },
    });
  }

  async ensureTopics(topics: string[], partitions: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  async publish(messages: BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.connectedProducer();
    const byTopic = new Map<string, BusMessage[]>();
    for (const message of messages) byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((m) => ({ key: m.key, value: Buffer.from(m.value), headers: m.headers })),
        })),
      });
    } catch (err) {
      // Start from a fresh connection next time; kafkajs does not always recover one.
      this.producer = undefined;
      await producer.disconnect().catch(() => {});
      throw err;
    }
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    let running = true;
    const stopping = new AbortController();
    const log = this.options.logger;
    let consumer: Consumer | undefined;
    // Offsets are committed behind the consumer's back, coalesced (offset-committer.ts), not
    // awaited before the next fetch: a commit lost in a crash only redelivers what the inbox holds.
    const committer = new OffsetCommitter({
      commit: async (offsets) => {
        if (!consumer) throw new Error("no consumer to commit with");
        await consumer.commitOffsets(offsets);
      },
      onFailing: (err, offsets) => log?.warn({ err: err.message, groupId: options.groupId, partitions: offsets.length }, "offset commits failing; retrying every second with the newest offsets"),
      onRecovered: () => log?.info({ groupId: options.groupId }, "offset commits succeed again"),
    });
    // The watchdog's view of the consumer: when it last fetched, how many batches are in hand,
    // and whether kafkajs gave it up (a crash it does not restart after).
    const health = { lastFetchAt: Date.now(), batchesInHand: 0, givenUp: false };
    // Consumers the watchdog replaced: one is not restarted by kafkajs (restartOnFailure), and one
    // that joins its group anyway is disconnected. After a broker restart on the local cluster
    // (2026-12-03) history's group had four members for two pods; a replaced consumer coming back
    // is our reading of the broker log, not proven. The committed offsets that stood still for
    // minutes then are what offset-committer.ts addresses.
    const retired = new WeakSet<Consumer>();
    const open = async (): Promise<Consumer> => {
      const consumer = this.kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: consumerSession.sessionTimeoutMs,
        heartbeatInterval: consumerSession.heartbeatIntervalMs,
        // Long polls of at most 1 s: a stopping consumer waits for the fetch in flight.
        maxWaitTimeInMs: 1_000,
        // Bounded retries (about 35 s): a consumer whose requests keep failing crashes and kafkajs
        // restarts it (restartOnFailure), which rejoins the group and finds the coordinator again.
        // Endless retries could keep one stuck on a coordinator that moved (a broker restart) for good.
        retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000, restartOnFailure: async () => running && !retired.has(consumer) },
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        this.options.logger?.warn(
          { err: payload.error.message, groupId: payload.groupId, restart: payload.restart },
          payload.restart ? "Kafka consumer crashed; kafkajs restarts it" : "Kafka consumer crashed and kafkajs gave it up; the watchdog replaces it",
        );
        if (!payload.restart) health.givenUp = true;
        options.onMembership?.(false);
      });
      consumer.on(consumer.events.FETCH_START, () => (health.lastFetchAt = Date.now()));
      // Told on every (re)join: messages may have been missed while out of the group.
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (!retired.has(consumer)) {
          committer.reset(); // a batch fetched before this join offers nothing: its partition may be another member's now
          return options.onMembership?.(true);
        }
        log?.warn({ groupId: options.groupId }, "a replaced Kafka consumer rejoined its group; disconnecting it");
        void consumer.disconnect().catch(() => {});
      });
      consumer.on(consumer.events.STOP, () => options.onMembership?.(false));
      this.consumers.add(consumer);
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
      } catch (err) {
        this.consumers.delete(consumer);
        await consumer.disconnect().catch(() => {});
        throw err;
      }
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency ?? 1,
        // kafkajs hands these helpers over as closures, not methods: destructuring them is safe.
        // eslint-disable-next-line @typescript-eslint/unbound-method
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const { topic, partition } = batch;
          health.batchesInHand++;
          const epoch = committer.epoch;
          let lastHandled: string | undefined;
          const commit = () => {
            if (lastHandled === undefined || options.commitOffsets === false) return;
            committer.offer({ topic, partition, offset: (BigInt(lastHandled) + 1n).toString() }, epoch);
          };
          // kafkajs tells a batch it must end only when asked (isRunning, isStale): watch for it, so that waits can end on a signal.
          const ended = new AbortController();
          const watch = setInterval(() => {
            if (!running || !isRunning() || isStale()) ended.abort();
          }, 250);
          const signal = AbortSignal.any([stopping.signal, ended.signal]);
          const control = { heartbeat, isRunning: () => running && isRunning() && !isStale(), signal };
          const consumed = (message: (typeof batch.messages)[number]) => ({
            topic,
            partition,
            offset: message.offset,
            key: message.key?.toString("utf8") ?? "",
            value: message.value ?? Buffer.alloc(0),
            headers: decodeHeaders(message.headers),
          });
          try {
            if (options.onBatch) {
              const messages = batch.messages.map(consumed);
              const handled = messages.length > 0 && control.isRunning() ? await options.onBatch(messages, control) : 0;
              const last = messages[handled - 1];
              if (last) {
                resolveOffset(last.offset);
                lastHandled = last.offset;
                await heartbeat();
              }
            } else {
              for (const message of batch.messages) {
                if (!control.isRunning()) break;
                const handled = await options.onMessage(consumed(message), control);
                if (!handled) break;
                resolveOffset(message.offset);
                lastHandled = message.offset;
                await heartbeat();
              }
            }
          } finally {
            clearInterval(watch);
            commit();
            health.batchesInHand--;
            health.lastFetchAt = Date.now();
          }
          const high = BigInt(batch.highWatermark);
          const next = lastHandled === undefined ? BigInt(batch.firstOffset() ?? batch.highWatermark) : BigInt(lastHandled) + 1n;
          options.onLag?.(topic, partition, Number(high - next));
        },
      });
      return consumer;
    };

    consumer = await open();
    // After a broker restart the outage tests and the local cluster have seen consumers stop
    // consuming for good (sagas stuck until the process restarted); kafkajs can also give a consumer
    // up after a crash it deems not retriable. A consumer that neither fetches nor holds a batch for
    // consumerStallMs, or was given up, is replaced by a new one in the same group.
    let replacing: Promise<void> | undefined;
    const watchdog = setInterval(() => {
      const stalled = health.batchesInHand === 0 && Date.now() - health.lastFetchAt > consumerStallMs;
      if (!running || replacing || !(stalled || health.givenUp)) return;
      log?.warn({ groupId: options.groupId, givenUp: health.givenUp, idleMs: Date.now() - health.lastFetchAt }, "Kafka consumer stopped fetching; replacing it");
      replacing = (async () => {
        const old = consumer;
        if (old) {
          retired.add(old);
          this.consumers.delete(old);
          await old.disconnect().catch(() => {});
        }
        health.givenUp = false;
        health.lastFetchAt = Date.now();
        if (running) consumer = await open();
      })()
        .catch((err: Error) => {
          health.givenUp = true; // try again at the next look, not a whole stall period later
          log?.warn({ err: err.message, groupId: options.groupId }, "Kafka consumer could not be replaced yet; the watchdog tries again");
        })
        .finally(() => (replacing = undefined));
    }, consumerStallMs / 6);
    watchdog.unref();
    return {
      stop: async () => {
        running = false;
        clearInterval(watchdog);
        stopping.abort();
        await replacing;
        await committer.close();
        await consumer?.disconnect();
        if (consumer) this.consumers.delete(consumer);
      },
    };
  }

  /** Messages on `topics` that `groupId` has not committed yet, summed over partitions. */
  async groupLag(groupId: string, topics: string[]): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return (await partitionLag(admin, groupId, topics)).reduce((sum, p) => sum + p.lag, 0);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Why a group is behind, for an operator: its state, its members (client id,
   * host, partitions held) and each partition it has not caught up on.
   */
  async describeGroupLag(groupId: string, topics: string[]): Promise<GroupLagReport> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      const members = (group?.members ?? []).map((m) => {
        const assignment = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
        return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, partitions: assignment?.assignment ?? {} };
      });
      const behind = (await partitionLag(admin, groupId, topics)).filter((p) => p.lag > 0);
      return { state: group?.state ?? "Unknown", members, behind };
    } finally {
      await admin.disconnect();
    }
  }

  /** Moves a consumer group (with no running members) back to the start of a topic: an operator's replay. */
  async rewind(groupId: string, topic: string): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.resetOffsets({ groupId, topic, earliest: true });
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    for (const consumer of this.consumers) await consumer.disconnect().catch(() => {});
    this.consumers.clear();
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => {});
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      try {
        await producer.connect();
        this.producer = producer;
        return producer;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }
}

export interface GroupLagReport {
  /** The group coordinator's state: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  state: string;
  members: Array<{ memberId: string; clientId: string; host: string; partitions: Record<string, number[]> }>;
  /** Partitions with messages the group has not committed past. */
  behind: PartitionLag[];
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The group's committed offset (-1: none yet). */
  committed: string;
  end: string;
  lag: number;
}

async function partitionLag(admin: Admin, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const existing = new Set(await admin.listTopics());
  const result: PartitionLag[] = [];
  for (const topic of topics.filter((t) => existing.has(t))) {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const end of ends) {
      const mine = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? "-1";
      // No offset (-1), or the earliest marker (-2) that rewind's resetOffsets commits until the group commits a real one.
      const from = BigInt(mine) < 0n ? BigInt(end.low) : BigInt(mine);
      result.push({ topic, partition: end.partition, committed: mine, end: end.high, lag: Number(BigInt(end.high) - from) });
    }
  }
  return result;
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}
