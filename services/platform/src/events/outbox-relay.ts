// The relay publishes committed outbox rows to the event bus, in order. It
// is woken in-process right after a transaction of this process that emitted
// events commits (Outbox.onCommitted), and polls for rows written by other
// processes (a cheap probe of the unpublished-rows index). A wake-up that
// arrives while a batch is being published is remembered, never lost: the
// relay goes round again at once, publishing what accumulated meanwhile as
// the next batch. One relay per database is the leader (a PostgreSQL advisory
// lock); rows are also locked while being published, so a second relay can
// never publish the same row at the same moment. When the broker is down it
// backs off and retries forever: writes keep succeeding, the backlog grows,
// nothing is dropped.
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Database } from "../database.ts";
import type { FaultSwitch } from "../fault-switch.ts";
import type { Logger } from "../logger.ts";
import { retrying } from "../retry.ts";
import { publishSpans } from "../telemetry/relay-spans.ts";
import { traceHeadersOf } from "./cloud-events.ts";
import type { EventBus } from "./event-bus.ts";
import type { Outbox } from "./outbox.ts";

export interface OutboxRelayOptions {
  db: Database;
  /** Connection string for the relay's own session (the advisory lock). */
  databaseUrl: string;
  /** The outbox this process writes through: its commits wake the relay at once. */
  outbox?: Outbox;
  bus: EventBus;
  logger: Logger;
  registry: Registry;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Longest wait between failed cycles (default 1 s): publishing resumes within about a second of the database's or the broker's return. */
  maxBackoffMs?: number;
  /** Published rows older than this are deleted. */
  retentionMs?: number;
  /** The fault switch: its test-only crash point `relay:after-publish` sits between publishing and marking. */
  faults?: FaultSwitch;
}

type OutboxRow = {
  id: string;
  topic: string;
  aggregate_id: string;
  payload: Buffer;
  headers: Record<string, string>;
  created_at: Date;
  type: string;
  traceparent: string | null;
  tracestate: string | null;
};

const leaderLock = "hashtext('meshmart.outbox.relay')";

export class OutboxRelay {
  private running = false;
  private stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by a wake-up; cleared when a batch starts. A wake-up during a batch makes the next one start at once. */
  private dirty = true;
  private unsubscribe: (() => void) | undefined;
  private session: pg.Client | undefined;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly retentionMs: number;
  private readonly published: Counter;
  private readonly failures: Counter;
  private readonly latency: Histogram;
  private readonly sendDuration: Histogram;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 1_000;
    this.retentionMs = options.retentionMs ?? 24 * 3_600_000;
    const registers = [options.registry];
    const db = options.db;
    new Gauge({
      name: "outbox_backlog",
      help: "Outbox events committed but not yet published.",
      registers,
      async collect() {
        const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL");
        this.set(Number(rows[0]?.n ?? 0));
      },
    });
    new Gauge({
      name: "outbox_oldest_unpublished_age_seconds",
      help: "Age of the oldest outbox event not yet published (0 when none waits).",
      registers,
      async collect() {
        const { rows } = await db.query<{ age: number | null }>(
          "SELECT extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS age FROM outbox WHERE published_at IS NULL",
        );
        this.set(rows[0]?.age ?? 0);
      },
    });
    this.published = new Counter({ name: "outbox_published_total", help: "Outbox events published.", registers });
    this.failures = new Counter({
      name: "outbox_publish_failures_total",
      help: "Failed attempts to publish a batch of outbox events.",
      registers,
    });
    this.latency = new Histogram({
      name: "outbox_publish_latency_seconds",
      help: "Time from an event's commit to its publication.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.sendDuration = new Histogram({
      name: "outbox_relay_send_duration_seconds",
      help: "Time the relay takes to publish one batch to the broker (acks from all in-sync replicas).",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.dirty = true;
    this.unsubscribe = this.options.outbox?.onCommitted(() => this.signal());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.running = false;
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    await this.closeSession();
  }

  /** Publishes until the outbox is empty; returns how many were published. For tests and tools. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n === 0) return total;
    }
  }

  private async run(): Promise<void> {
    let lastPrune = 0;
    while (this.running) {
      // A failed cycle (broker or database down) is retried with backoff until it succeeds or the relay stops.
      await retrying(
        async () => {
          if (!(await this.ensureLeader())) return this.idle(this.pollIntervalMs);
          // Woken, or a poll found rows another process wrote: publish. Otherwise nothing to do.
          if (!this.dirty && !(await this.hasUnpublished())) return this.idle(this.pollIntervalMs);
          this.dirty = false;
          const n = await this.publishBatch();
          if (Date.now() - lastPrune > 60_000) {
            lastPrune = Date.now();
            await this.prune();
          }
          if (n >= this.batchSize) this.dirty = true; // more is waiting
          if (!this.dirty) await this.idle(this.pollIntervalMs);
        },
        {
          initialDelayMs: 100,
          maxDelayMs: this.maxBackoffMs,
          signal: this.stopping.signal,
          onRetry: (err, delayMs) => {
            this.failures.inc();
            this.options.logger.warn({ err: err.message, retryInMs: Math.round(delayMs) }, "outbox relay: publish failed, retrying");
          },
        },
      ).catch(() => {}); // only a stop ends the retries; the loop then ends too
    }
  }

  private signal(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** One cheap statement: is any row waiting (through the partial index of unpublished rows)? */
  private async hasUnpublished(): Promise<boolean> {
    const { rows } = await this.options.db.query<{ waiting: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL) AS waiting",
    );
    return rows[0]?.waiting ?? false;
  }

  /** Takes (or keeps) leadership on a dedicated session (the advisory lock lives as long as it). */
  private async ensureLeader(): Promise<boolean> {
    if (this.session) return true;
    const session = new pg.Client({ connectionString: this.options.databaseUrl });
    session.on("error", () => void this.closeSession());
    await session.connect();
    const { rows } = await session.query<{ leader: boolean }>(`SELECT pg_try_advisory_lock(${leaderLock}) AS leader`);
    if (!rows[0]?.leader) {
      await session.end().catch(() => {});
      return false;
    }
    this.session = session;
    this.options.logger.info("outbox relay: leading");
    return true;
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.end().catch(() => {});
  }

  private async publishBatch(): Promise<number> {
    const outcome = await this.options.db.transaction(async (tx) => {
      // Losing this commit in a crash only publishes the rows again (consumers skip duplicates
      // by their inbox): it need not wait for its WAL flush, which saves one per hop of a saga.
      await tx.query("SET LOCAL synchronous_commit = off");
      const { rows } = await tx.query<OutboxRow>(
        `SELECT id, topic, aggregate_id, payload, headers, created_at, type, traceparent, tracestate FROM outbox
         WHERE published_at IS NULL
         ORDER BY seq LIMIT $1 FOR UPDATE`,
        [this.batchSize],
      );
      if (rows.length === 0) return { published: 0 };
      const ids = rows.map((row) => row.id);
      // One PRODUCER span per event, a child of the span that wrote it; its context goes on the message.
      const spans = publishSpans(rows.map((row) => ({ id: row.id, topic: row.topic, key: row.aggregate_id, type: row.type, traceparent: row.traceparent, tracestate: row.tracestate })));
      const stopTimer = this.sendDuration.startTimer();
      try {
        await this.options.bus.publish(
          rows.map((row, i) => ({ topic: row.topic, key: row.aggregate_id, value: row.payload, headers: { ...row.headers, ...traceHeadersOf(spans.headers[i]!) } })),
        );
        spans.end();
      } catch (err) {
        spans.end(err);
        // Record the attempt (committed with this transaction), then report the failure.
        await tx.query("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])", [
          ids,
          (err as Error).message.slice(0, 1000),
        ]);
        return { failed: err instanceof Error ? err : new Error(String(err)) };
      } finally {
        stopTimer();
      }
      // Test-only (FAULTS "relay:after-publish=crash"): die here, published and not marked.
      await this.options.faults?.afterPublish();
      await tx.query(
        "UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])",
        [ids],
      );
      const now = Date.now();
      for (const row of rows) this.latency.observe((now - row.created_at.getTime()) / 1000);
      this.published.inc(rows.length);
      return { published: rows.length };
    });
    if ("failed" in outcome) throw outcome.failed as Error;
    return outcome.published;
  }

  private async prune(): Promise<void> {
    await this.options.db.query("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)", [
      this.retentionMs / 1000,
    ]);
  }

  private async idle(ms: number): Promise<void> {
    if (!this.running || this.dirty) return;
    const controller = new AbortController();
    this.wake = () => controller.abort();
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => {});
    this.wake = undefined;
  }
}
