// Dead letters, as the consumers write them (services/platform/src/events/
// event-consumer.ts): a message on `<topic>.dlq` with the original key, value
// and headers, plus dlq_error, dlq_attempts, dlq_consumer, dlq_original_topic,
// dlq_original_partition, dlq_original_offset and dlq_time. Read them (every
// partition from the start to its end, with a throwaway group that is deleted
// after), and redrive them: publish each again to its original topic with its
// original key, value and headers. Every consumer of that topic gets it again;
// those that handled the event before skip it by its event id (the inbox), so a
// redrive is safe, and a second redrive of the same letter changes nothing.
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type IHeaders } from "kafkajs";

export interface DeadLetter {
  /** The dead-letter topic, partition and offset of this letter. */
  topic: string;
  partition: number;
  offset: string;
  key: string;
  /** ce_id of the event ("" when the message had none: poison). */
  eventId: string;
  type: string;
  consumer: string;
  attempts: number;
  error: string;
  time: string;
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  /** Headers of the original message (the dlq_* ones removed). */
  headers: Record<string, string>;
  value: Buffer;
}

export const dlqSuffix = ".dlq";

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: "meshmart-dlq", brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3_000, requestTimeout: 10_000, retry: { retries: 3 } });
}

const strings = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.map(String).join(",") : String(v)]])));

/** The dead-letter topics on the broker, each with how many letters it holds. */
export async function listDeadLetterTopics(kafka: Kafka): Promise<Array<{ topic: string; letters: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.endsWith(dlqSuffix)).sort();
    const counts = [];
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      counts.push({ topic, letters: offsets.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0) });
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

/** `meshmart.orders.v1` and `meshmart.orders.v1.dlq` both name the dead-letter topic `meshmart.orders.v1.dlq`. */
export function deadLetterTopicOf(topic: string): string {
  return topic.endsWith(dlqSuffix) ? topic : `${topic}${dlqSuffix}`;
}

/** Every letter on a dead-letter topic, in partition and offset order. */
export async function readDeadLetters(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<DeadLetter[]> {
  const dlq = deadLetterTopicOf(topic);
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `meshmart-dlq-reader-${randomUUID()}`;
  try {
    if (!(await admin.listTopics()).includes(dlq)) throw new Error(`no dead-letter topic ${dlq}`);
    const ends = new Map((await admin.fetchTopicOffsets(dlq)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
    const wanted = [...ends.values()].reduce((sum, p) => sum + Number(p.high - p.low), 0);
    const letters: DeadLetter[] = [];
    if (wanted > 0) {
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: dlq, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`read ${letters.length} of ${wanted} letters of ${dlq} in ${timeoutMs / 1000}s`)), timeoutMs);
          consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                const end = ends.get(partition);
                if (!end || BigInt(message.offset) >= end.high) return;
                letters.push(toLetter(dlq, partition, message.offset, message.key, message.value, strings(message.headers)));
                if (letters.length >= wanted) {
                  clearTimeout(timer);
                  resolve();
                }
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
      }
    }
    return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}

function toLetter(topic: string, partition: number, offset: string, key: Buffer | null, value: Buffer | null, all: Record<string, string>): DeadLetter {
  const headers = Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith("dlq_")));
  return {
    topic,
    partition,
    offset,
    key: key?.toString("utf8") ?? "",
    eventId: all.ce_id ?? "",
    type: all.ce_type ?? "",
    consumer: all.dlq_consumer ?? "",
    attempts: Number(all.dlq_attempts ?? 0),
    error: all.dlq_error ?? "",
    time: all.dlq_time ?? "",
    originalTopic: all.dlq_original_topic ?? topic.slice(0, -dlqSuffix.length),
    originalPartition: Number(all.dlq_original_partition ?? -1),
    originalOffset: all.dlq_original_offset ?? "",
    headers,
    value: value ?? Buffer.alloc(0),
  };
}

export interface LetterFilter {
  /** Event ids (ce_id) or letter positions `<partition>:<offset>`; empty: every letter. */
  ids?: string[];
  /** Only letters this consumer (group) wrote. */
  consumer?: string;
}

export function selectLetters(letters: DeadLetter[], filter: LetterFilter): DeadLetter[] {
  const ids = new Set(filter.ids ?? []);
  return letters.filter(
    (l) => (ids.size === 0 || ids.has(l.eventId) || ids.has(`${l.partition}:${l.offset}`)) && (!filter.consumer || l.consumer === filter.consumer),
  );
}

/**
 * Publishes each letter to its original topic, as it was (key, value,
 * headers), marked with where it was redriven from. Idempotent producer,
 * acks from all in-sync replicas; resolves once all are written.
 */
export async function redrive(kafka: Kafka, letters: DeadLetter[]): Promise<number> {
  if (letters.length === 0) return 0;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const at = new Date().toISOString();
    const byTopic = new Map<string, DeadLetter[]>();
    for (const l of letters) byTopic.set(l.originalTopic, [...(byTopic.get(l.originalTopic) ?? []), l]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((l) => ({
          key: l.key,
          value: l.value,
          headers: { ...l.headers, redriven_from: `${l.topic}/${l.partition}/${l.offset}`, redriven_at: at },
        })),
      })),
    });
    return letters.length;
  } finally {
    await producer.disconnect();
  }
}
