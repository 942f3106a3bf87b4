// The Kafka operations fault scenarios make with the admin API (kafkajs, on
// the broker's direct listener): rewinding a consumer group, counting a
// group's members, publishing undecodable bytes.
import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";

/**
 * Moves a consumer group (no member may be running) back to the start of each
 * topic; resolves with how many messages it will receive again.
 */
export async function rewindGroup(kafka: Kafka, groupId: string, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let rewound = 0n;
    const existing = new Set(await admin.listTopics());
    for (const topic of topics.filter((t) => existing.has(t))) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const end of ends) {
        const mine = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? "-1";
        if (mine !== "-1") rewound += BigInt(mine) - BigInt(end.low);
      }
      await admin.resetOffsets({ groupId, topic, earliest: true });
    }
    return Number(rewound);
  } finally {
    await admin.disconnect();
  }
}

/** The group's members right now (0 when it is empty or unknown). */
export async function groupMembers(kafka: Kafka, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Publishes `count` messages no consumer can read: half with a CloudEvents
 * type the consumers handle and bytes that are no protobuf of it, half with no
 * CloudEvents headers at all. Resolves with their keys.
 */
export async function publishPoison(kafka: Kafka, topic: string, type: string, count: number): Promise<string[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const keys = Array.from({ length: count }, () => `poison-${randomUUID()}`);
    await producer.send({
      topic,
      acks: -1,
      messages: keys.map((key, i) =>
        i % 2 === 0
          ? {
              key,
              value: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0xff]),
              headers: { ce_specversion: "1.0", ce_id: randomUUID(), ce_source: "scenario/poison-message", ce_type: type, ce_time: new Date().toISOString(), "content-type": "application/protobuf" },
            }
          : { key, value: Buffer.from("\u0000not a protobuf, no CloudEvents headers\u00ff") },
      ),
    });
    return keys;
  } finally {
    await producer.disconnect();
  }
}
