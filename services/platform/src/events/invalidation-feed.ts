// A feed of events for invalidating an in-process cache. Unlike the
// EventConsumer (one shared group: each event handled once by one replica,
// with an inbox), every process must see every event: it reads in a consumer
// group of its own, from the latest offset, and commits nothing. No database,
// no retries, no dead letters: an event it cannot read is only logged (the
// cache's TTL still bounds what it missed).
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "../logger.ts";
import { fromHeaders } from "./cloud-events.ts";
import type { EventBus, Subscription } from "./event-bus.ts";

export interface InvalidationFeedOptions {
  bus: EventBus;
  /** What the group is for, e.g. `orders-product-cache`: the group id adds the host, the pid and a random tag. */
  purpose: string;
  topics: string[];
  logger: Logger;
  /** Each event's CloudEvents type and Kafka key (its aggregate's id). */
  onEvent(type: string, key: string): void;
  /** True once the feed reads (joined its group), false when it lost the broker or stopped. */
  onLive(live: boolean): void;
}

/** A group id of this process alone (two replicas in one process, as in tests, get two). */
export function processGroupId(purpose: string): string {
  return `${purpose}-${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

export async function startInvalidationFeed(options: InvalidationFeedOptions): Promise<Subscription & { groupId: string }> {
  const groupId = processGroupId(options.purpose);
  const { logger } = options;
  const subscription = await options.bus.subscribe({
    groupId,
    topics: options.topics,
    fromBeginning: false,
    commitOffsets: false,
    onMembership: (joined) => {
      logger.info({ groupId, joined }, joined ? "cache invalidation feed live: cache starts empty" : "cache invalidation feed lost: reads bypass the cache");
      options.onLive(joined);
    },
    onMessage: async (message) => {
      try {
        options.onEvent(fromHeaders(message.headers).type, message.key);
      } catch (err) {
        logger.warn({ err: (err as Error).message, topic: message.topic, offset: message.offset }, "unreadable event on the invalidation feed; skipped");
      }
      return true;
    },
  });
  return {
    groupId,
    stop: async () => {
      await subscription.stop();
      options.onLive(false);
    },
  };
}
