// Rebuilding the projection from scratch (make rebuild-projection): stop
// consuming, empty the projection's tables and its inbox, move the consumer
// group back to the earliest offset of every topic it reads, consume again.
// The topics keep their events forever (retention.ms=-1, topology's
// retentionForeverTopics), so reading them again gives the same rows.
//
// A group's offsets can only be reset while it has no members, and every
// replica of history is one. So the rebuild is announced in the database
// (projection_rebuild): each replica's watcher polls it and keeps its
// consumer stopped while a rebuild is under way, and the replica running the
// rebuild retries the reset until the group is empty. Events a replica still
// applies between the truncate and the reset are in the projection and in the
// inbox alike, so their redelivery is skipped and nothing is lost or doubled.
// A rebuild whose replica died (no heartbeat for 15 s) counts as over.
import { setTimeout as sleep } from "node:timers/promises";
import { retrying, type Database, type EventConsumer, type KafkaBus, type Logger, type Worker } from "@meshmart/platform";
import * as store from "./history-store.ts";
import type { ProjectionProgress } from "./projection-progress.ts";

/** A rebuild whose heartbeat is older than this is taken for abandoned. */
const abandonedAfter = "15 seconds";
const heartbeatMs = 2_000;

export class RebuildInProgress extends Error {
  override name = "RebuildInProgress";
}

export interface RebuildReport {
  generation: number;
  startedAt: Date;
  finishedAt: Date;
  /** The topics (prefixed) whose offsets were reset to the earliest. */
  topics: string[];
}

export interface RebuildState {
  rebuilding: boolean;
  generation: number;
  startedAt?: Date;
  finishedAt?: Date;
  error: string;
}

export interface ProjectionControlOptions {
  db: () => Database;
  bus: () => KafkaBus;
  /** The consumer group (also the inbox's consumer column). */
  group: string;
  /** The topics the group reads, prefixed. */
  topics: readonly string[];
  progress: ProjectionProgress;
  logger: Logger;
  /** How long a rebuild waits for the group to have no members. */
  waitForGroupMs: number;
  /** How often each replica looks whether a rebuild is under way. */
  watchIntervalMs: number;
  /** Aborted when the service starts shutting down: from then on the consumer is the platform's to stop. */
  draining: AbortSignal;
}

export class ProjectionControl {
  private consumer: EventConsumer | undefined;
  /** This replica stopped its consumer for a rebuild (its own or another replica's) and must start it again. */
  private paused = false;
  private coordinating = false;
  private generation = 0;
  private watching: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProjectionControlOptions) {}

  /** The service's consumer, once the platform has built it. */
  attach(consumer: EventConsumer): void {
    this.consumer = consumer;
  }

  /** Runs a rebuild; resolves once the consumer reads again from the start (RebuildInProgress if one is under way). */
  async rebuild(): Promise<RebuildReport> {
    const { group, topics, logger, draining } = this.options;
    if (draining.aborted) throw new Error("the service is shutting down");
    const db = this.options.db();
    const claimed = await db.query<{ generation: string; started_at: Date }>(
      `UPDATE projection_rebuild
       SET rebuilding = true, generation = generation + 1, started_at = now(), heartbeat_at = now(), finished_at = NULL, error = ''
       WHERE NOT rebuilding OR heartbeat_at < now() - interval '${abandonedAfter}'
       RETURNING generation, started_at`,
    );
    const row = claimed.rows[0];
    if (!row) throw new RebuildInProgress("a rebuild of the projection is already under way");
    const generation = Number(row.generation);
    this.coordinating = true;
    await this.watching; // a watcher tick in flight finishes first
    this.generation = generation;
    logger.warn({ generation, group, topics }, "projection rebuild: started");
    const heartbeat = setInterval(() => {
      void db
        .query("UPDATE projection_rebuild SET heartbeat_at = now() WHERE generation = $1 AND rebuilding", [generation])
        .catch((err: Error) => logger.warn({ err: err.message }, "projection rebuild: heartbeat failed"));
    }, heartbeatMs);
    try {
      await this.pause();
      this.options.progress.restart();
      await db.transaction((tx) => store.truncateProjection(tx, group));
      logger.warn({ generation }, "projection rebuild: projection and inbox emptied");
      for (const topic of topics) await this.rewind(topic);
      const { rows } = await db.query<{ finished_at: Date }>(
        "UPDATE projection_rebuild SET rebuilding = false, finished_at = now(), heartbeat_at = now() WHERE generation = $1 RETURNING finished_at",
        [generation],
      );
      logger.warn({ generation }, "projection rebuild: offsets reset to the earliest; consuming again");
      return { generation, startedAt: row.started_at, finishedAt: rows[0]?.finished_at ?? new Date(), topics: [...topics] };
    } catch (err) {
      const message = (err as Error).message;
      logger.error({ err: message, generation }, "projection rebuild failed: the projection may be incomplete until a rebuild succeeds");
      await db
        .query("UPDATE projection_rebuild SET rebuilding = false, finished_at = now(), error = $2 WHERE generation = $1", [generation, message])
        .catch(() => {});
      throw err;
    } finally {
      clearInterval(heartbeat);
      this.coordinating = false;
      await this.resume();
    }
  }

  async state(): Promise<RebuildState> {
    const { rows } = await this.options.db().query<{
      rebuilding: boolean;
      generation: string;
      started_at: Date | null;
      finished_at: Date | null;
      error: string;
    }>(
      `SELECT rebuilding AND heartbeat_at >= now() - interval '${abandonedAfter}' AS rebuilding, generation, started_at, finished_at, error
       FROM projection_rebuild`,
    );
    const row = rows[0];
    if (!row) return { rebuilding: false, generation: 0, error: "" };
    return {
      rebuilding: row.rebuilding,
      generation: Number(row.generation),
      ...(row.started_at ? { startedAt: row.started_at } : {}),
      ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
      error: row.error,
    };
  }

  /** Each replica's watcher: keeps the consumer stopped while any replica rebuilds, and starts it again after. */
  watcher(): Worker {
    const { logger, watchIntervalMs } = this.options;
    const stopping = new AbortController();
    const loop = (async () => {
      while (!stopping.signal.aborted) {
        this.watching = this.watch().catch((err: Error) => logger.warn({ err: err.message }, "projection watcher: could not read the rebuild state"));
        await this.watching;
        await sleep(watchIntervalMs, undefined, { signal: stopping.signal }).catch(() => {});
      }
    })();
    const consumer = () => this.consumer;
    return {
      async stop() {
        stopping.abort();
        await loop;
        // The platform stopped the consumer before this worker (workers stop in reverse order); a
        // restart of ours that was under way then has finished by now, and is stopped here.
        await consumer()?.stop();
      },
    };
  }

  private async watch(): Promise<void> {
    if (this.coordinating || !this.consumer || this.options.draining.aborted) return;
    const state = await this.state();
    if (this.coordinating || this.options.draining.aborted) return;
    if (state.generation > this.generation) {
      // Another replica's rebuild: count this one's progress from its start too.
      this.generation = state.generation;
      this.options.progress.restart();
    }
    if (state.rebuilding) {
      if (!this.paused) this.options.logger.warn({ generation: state.generation }, "projection rebuild under way on another replica: consumer stopped");
      await this.pause();
    } else if (this.paused) {
      this.options.logger.warn({ generation: state.generation }, "projection rebuild over: consuming again");
      await this.resume();
    }
  }

  /** Stops the consumer (again: the platform may have started it meanwhile); idempotent. */
  private async pause(): Promise<void> {
    if (!this.consumer) return;
    this.paused = true;
    await this.consumer.stop();
  }

  private async resume(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || !this.paused) return;
    this.paused = false;
    const { draining, logger } = this.options;
    if (draining.aborted) return;
    // stop() first: never two subscriptions, whoever started the one there may be.
    await consumer.stop();
    await retrying(
      async () => {
        if (draining.aborted) return;
        await consumer.start();
      },
      { signal: draining, onRetry: (err, delayMs) => logger.warn({ err: err.message, retryInMs: Math.round(delayMs) }, "projection: the consumer did not start again yet; retrying") },
    ).catch((err: Error) => {
      if (!draining.aborted) throw err;
    });
  }

  /** Resets the group's offsets of `topic` to the earliest, retrying while the group still has members. */
  private async rewind(topic: string): Promise<void> {
    const { group, logger, waitForGroupMs } = this.options;
    const deadline = Date.now() + waitForGroupMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.pause();
        await this.options.bus().rewind(group, topic);
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(`could not reset ${group}'s offsets of ${topic} within ${waitForGroupMs} ms: ${(err as Error).message}`, { cause: err });
        }
        if (attempt === 1 || attempt % 10 === 0) {
          logger.warn({ err: (err as Error).message, topic, attempt }, "projection rebuild: waiting for the consumer group to have no members");
        }
        await sleep(500);
      }
    }
  }
}
