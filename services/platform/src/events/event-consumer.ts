// The consumer runtime. Each event runs its handler inside a database
// transaction that also records (consumer, event id) in the inbox: a duplicate
// is skipped, and the Kafka offset is committed only after that transaction
// commits. A failing handler is retried with backoff a bounded number of times,
// then the message goes to `<topic>.dlq` with its headers, the error and the
// attempt count. When a dependency is down (the database, a service answering
// Unavailable), consumption pauses and resumes instead of dead-lettering.
//
// Handlers registered as batchable (their effects lock only rows of their own
// event's key: the order they are about) are run several to a transaction:
// consecutive batchable messages of a fetched batch share one transaction
// (and one multi-row inbox insert), taken in key order so that two such
// transactions lock rows in the same order. If anything in it fails, it rolls
// back and those messages are handled one by one, with the retries and the
// dead-letter topic as always. One commit then serves many events.
import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Attributes } from "@opentelemetry/api";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { isConnectionError, type Database, type Transaction } from "../database.ts";
import type { FaultSwitch } from "../fault-switch.ts";
import type { Logger } from "../logger.ts";
import { retrying } from "../retry.ts";
import { runWithContext } from "../request-context.ts";
import { processSpan } from "../telemetry/consumer-spans.ts";
import { fromHeaders, MalformedEventError, type CloudEventAttributes } from "./cloud-events.ts";
import type { ConsumedMessage, DeliveryControl, EventBus, Subscription } from "./event-bus.ts";
import { topicOf, type Outbox } from "./outbox.ts";

export interface EventContext {
  /** The transaction the handler's effects (and the inbox record) commit in. */
  readonly tx: Transaction;
  readonly event: CloudEventAttributes;
  readonly outbox: Outbox;
  readonly logger: Logger;
  /** Adds attributes to the event's CONSUMER span (the order it is about, say). */
  readonly annotate: (attributes: Attributes) => void;
}

/** A handler's failure in a batch's transaction: the first attempt of that event. */
interface FailedAttempt {
  eventId: string;
  error: Error;
}

export type EventHandler<Desc extends DescMessage> = (data: MessageShape<Desc>, context: EventContext) => Promise<void>;

/** Thrown by a handler to say a dependency is down: consumption pauses and retries, never dead-letters. */
export class DependencyUnavailableError extends Error {
  override name = "DependencyUnavailableError";
}

export interface EventConsumerOptions {
  /** Consumer name: the Kafka group id and the inbox's consumer column. */
  name: string;
  bus: EventBus;
  db: Database;
  outbox: Outbox;
  logger: Logger;
  registry: Registry;
  faults?: FaultSwitch;
  /** Prepended to every topic (isolates test runs on a shared broker). */
  topicPrefix?: string;
  /** Attempts before a failing message is dead-lettered. */
  maxAttempts?: number;
  /** Partitions handled at the same time; events of one aggregate share a partition, so their order holds. */
  concurrency?: number;
  initialBackoffMs?: number;
  /**
   * Longest wait between attempts (default 1 s): a paused partition probes its
   * database about once a second while it is down, so it resumes within about
   * a second of the heal (at 5 s, a saga's six hops could each wait up to 5 s).
   */
  maxBackoffMs?: number;
  /** Most messages handled in one transaction by batchable handlers; 1 turns batching off. Default 64. */
  maxBatch?: number;
}

export interface HandlerOptions {
  /**
   * The handler's effects lock only rows (or advisory locks) of the event's
   * own key, so it may share a transaction with the handlers of other events.
   */
  batchable?: boolean;
}

interface Registration {
  schema: DescMessage;
  handler: EventHandler<DescMessage>;
  batchable: boolean;
}

/** A message decoded for its handler. */
interface Decoded {
  message: ConsumedMessage;
  event: CloudEventAttributes;
  registration: Registration;
  data: MessageShape<DescMessage>;
}

export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export class EventConsumer {
  private readonly handlers = new Map<string, Registration>();
  private readonly validator = createValidator();
  private subscription: Subscription | undefined;
  private readonly maxAttempts: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxBatch: number;
  private readonly lag: Gauge;
  private readonly paused: Gauge;
  private readonly outcomes: Counter;
  private readonly duration: Histogram;
  private readonly deadLettered: Counter;

  constructor(private readonly options: EventConsumerOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 1_000;
    this.maxBatch = options.maxBatch ?? 64;
    const registers = [options.registry];
    this.lag = new Gauge({
      name: "consumer_lag",
      help: "Messages not yet handled, by topic and partition.",
      labelNames: ["consumer", "topic", "partition"],
      registers,
    });
    this.paused = new Gauge({
      name: "consumer_paused",
      help: "1 while consumption is paused because a dependency is down.",
      labelNames: ["consumer"],
      registers,
    });
    this.outcomes = new Counter({
      name: "consumer_events_total",
      help: "Events by type and outcome: handled, duplicate, failed (an attempt), dead_lettered, ignored.",
      labelNames: ["consumer", "type", "outcome"],
      registers,
    });
    this.deadLettered = new Counter({
      name: "consumer_dead_lettered_total",
      help: "Events sent to a dead-letter topic, by consumer group (0 from the start, so that its growth can be alerted on).",
      labelNames: ["consumer"],
      registers,
    });
    this.deadLettered.inc({ consumer: options.name }, 0);
    this.duration = new Histogram({
      name: "consumer_handler_duration_seconds",
      help: "Time to handle one event, transaction included.",
      labelNames: ["consumer", "type"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  /** Registers the handler for one event type. */
  on<Desc extends DescMessage>(schema: Desc, handler: EventHandler<Desc>, options: HandlerOptions = {}): this {
    this.handlers.set(schema.typeName, { schema, handler: handler, batchable: options.batchable ?? false });
    return this;
  }

  /** The topics the registered handlers' events travel on. */
  topics(): string[] {
    const prefix = this.options.topicPrefix ?? "";
    return [...new Set([...this.handlers.values()].map(({ schema }) => prefix + topicOf(schema)))];
  }

  async start(): Promise<void> {
    if (this.handlers.size === 0) return;
    this.subscription = await this.options.bus.subscribe({
      groupId: this.options.name,
      topics: this.topics(),
      fromBeginning: true,
      concurrency: this.options.concurrency ?? 3,
      onMessage: (message, control) => this.handle(message, control),
      ...(this.maxBatch > 1 && [...this.handlers.values()].some((r) => r.batchable)
        ? { onBatch: (messages: ConsumedMessage[], control: DeliveryControl) => this.handleBatch(messages, control) }
        : {}),
      onLag: (topic, partition, lag) => this.lag.set({ consumer: this.options.name, topic, partition }, lag),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /**
   * Handles a partition's batch in order: runs of batchable messages in one
   * transaction each, anything else (and a run whose transaction failed) one
   * by one. Resolves how many messages, from the first, are handled.
   */
  private async handleBatch(messages: ConsumedMessage[], control: DeliveryControl): Promise<number> {
    let done = 0;
    while (done < messages.length) {
      if (!control.isRunning()) return done;
      const run: Array<Decoded | { ignored: string }> = [];
      for (let i = done; i < messages.length && run.length < this.maxBatch; i++) {
        const decoded = this.decodeForBatch(messages[i]!);
        if (!decoded) break;
        run.push(decoded);
      }
      const together = run.length > 1 ? await this.handleTogether(run.filter((d): d is Decoded => !("ignored" in d))) : undefined;
      if (together === true) {
        for (const d of run) if ("ignored" in d) this.outcomes.inc({ consumer: this.options.name, type: d.ignored, outcome: "ignored" });
        done += run.length;
        await control.heartbeat();
        continue;
      }
      // One message on its own: a single batchable one, one that is not batchable, or a run that failed.
      const alone = Math.max(1, run.length);
      for (let i = 0; i < alone; i++) {
        if (!(await this.handle(messages[done]!, control, together || undefined))) return done;
        done++;
      }
    }
    return done;
  }

  /**
   * The message decoded, when it can join a batch (its handler is batchable,
   * it decodes and validates), or ignored (no handler here: another
   * consumer's event on a shared topic).
   */
  private decodeForBatch(message: ConsumedMessage): Decoded | { ignored: string } | undefined {
    try {
      const event = fromHeaders(message.headers);
      const registration = this.handlers.get(event.type);
      if (!registration) return { ignored: event.type };
      if (!registration.batchable) return undefined;
      const data = fromBinary(registration.schema, message.value);
      if (this.validator.validate(registration.schema, data).kind !== "valid") return undefined;
      return { message, event, registration, data };
    } catch {
      return undefined; // handled alone, where it is dead-lettered
    }
  }

  /**
   * Runs the handlers of `run` in one transaction: true, or (rolled back) the
   * event whose handler failed and its error, which count as that event's
   * first attempt; false when something else failed.
   */
  private async handleTogether(run: Decoded[]): Promise<true | false | FailedAttempt> {
    const consumer = this.options.name;
    if (run.length === 0) return true;
    const ordered = [...run].sort((a, b) => (a.message.key < b.message.key ? -1 : a.message.key > b.message.key ? 1 : 0));
    const started = performance.now();
    let outcomes: Array<"handled" | "duplicate">;
    let current: string | undefined;
    try {
      outcomes = await this.options.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ event_id: string }>(
          `INSERT INTO inbox (consumer, event_id, event_type)
           SELECT $1, id, type FROM unnest($2::text[], $3::text[]) AS e(id, type)
           ON CONFLICT DO NOTHING RETURNING event_id`,
          [consumer, ordered.map((d) => d.event.id), ordered.map((d) => d.event.type)],
        );
        const fresh = new Set(rows.map((r) => r.event_id));
        const results: Array<"handled" | "duplicate"> = [];
        for (const { message, event, registration, data } of ordered) {
          if (!fresh.has(event.id)) {
            results.push("duplicate");
            continue;
          }
          fresh.delete(event.id); // the same event twice in one batch is handled once
          current = event.id;
          const logger = this.options.logger.child({ eventId: event.id, eventType: event.type });
          // Each message keeps its own CONSUMER span in the trace that caused it, batch or not.
          await processSpan(message, event, consumer, (span) =>
            runWithContext({ requestId: event.id }, async () => {
              await this.options.faults?.beforeEvent(event.type);
              const annotate = (attributes: Attributes) => span.span.setAttributes(attributes);
              await registration.handler(data, { tx, event, outbox: this.options.outbox, logger, annotate });
              return { handled: true };
            }),
          );
          results.push("handled");
          current = undefined;
        }
        return results;
      });
    } catch (err) {
      if (current === undefined || isDependencyDown(err)) return false;
      this.outcomes.inc({ consumer, type: run.find((d) => d.event.id === current)!.event.type, outcome: "failed" });
      return { eventId: current, error: err as Error };
    }
    const seconds = (performance.now() - started) / 1000 / ordered.length;
    ordered.forEach(({ event }, i) => {
      this.outcomes.inc({ consumer, type: event.type, outcome: outcomes[i]! });
      this.duration.observe({ consumer, type: event.type }, seconds);
    });
    this.paused.set({ consumer }, 0);
    return true;
  }

  /** Handles one message, retrying; `failed` is an attempt already made in a batch (it counts). */
  private async handle(message: ConsumedMessage, control: DeliveryControl, failed?: FailedAttempt): Promise<boolean> {
    const consumer = this.options.name;
    let event: CloudEventAttributes;
    let registration: Registration | undefined;
    let data: MessageShape<DescMessage>;
    try {
      event = fromHeaders(message.headers);
      registration = this.handlers.get(event.type);
      if (!registration) {
        this.outcomes.inc({ consumer, type: event.type, outcome: "ignored" });
        return true; // another consumer's event on a shared topic
      }
      data = fromBinary(registration.schema, message.value);
      // An event that breaks its own proto rules can never be handled: dead-letter it at once.
      const validation = this.validator.validate(registration.schema, data);
      if (validation.kind !== "valid") {
        throw new MalformedEventError(`invalid event: ${validation.error.message}`);
      }
    } catch (err) {
      // Unreadable: no retry can help.
      const error = err instanceof MalformedEventError ? err : new MalformedEventError(`undecodable event: ${(err as Error).message}`);
      return this.deadLetter(message, error, 1, control);
    }

    const logger = this.options.logger.child({ eventId: event.id, eventType: event.type });
    const handler = registration.handler;
    // Only failures of the handler itself count towards dead-lettering; a dependency that is
    // down pauses consumption (retried until it is back) and counts nothing.
    let attempts = failed?.eventId === event.id ? 1 : 0;
    if (attempts >= this.maxAttempts) return this.deadLetter(message, failed!.error, attempts, control);
    // One CONSUMER span for the message (all its attempts), continuing the trace its traceparent carries.
    const outcome = await processSpan(message, event, consumer, (span) => this.whileRunning(control, () =>
      retrying(
        async () => {
          const stopTimer = this.duration.startTimer({ consumer, type: event.type });
          try {
            const result = await runWithContext({ requestId: event.id }, () =>
              this.options.db.transaction(async (tx) => {
                const inserted = await tx.query(
                  "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                  [consumer, event.id, event.type],
                );
                if (inserted.rowCount === 0) return "duplicate" as const;
                await this.options.faults?.beforeEvent(event.type);
                await handler(data, { tx, event, outbox: this.options.outbox, logger, annotate: (attributes) => span.span.setAttributes(attributes) });
                return "handled" as const;
              }),
            );
            this.outcomes.inc({ consumer, type: event.type, outcome: result });
            this.paused.set({ consumer }, 0);
            // Test-only (FAULTS "committed:<type>=crash"): die here, effects committed, offset not.
            if (result === "handled") await this.options.faults?.afterCommit(event.type);
            return { handled: true as const };
          } catch (err) {
            span.attemptFailed(err as Error, isDependencyDown(err));
            if (isDependencyDown(err)) {
              this.paused.set({ consumer }, 1);
              throw err;
            }
            attempts++;
            this.outcomes.inc({ consumer, type: event.type, outcome: "failed" });
            if (attempts >= this.maxAttempts) return { handled: false as const, error: err as Error };
            throw err;
          } finally {
            stopTimer();
          }
        },
        {
          initialDelayMs: this.initialBackoffMs,
          maxDelayMs: this.maxBackoffMs,
          signal: control.signal,
          onRetry: (err, delayMs) =>
            isDependencyDown(err)
              ? logger.warn({ err: err.message, retryInMs: Math.round(delayMs) }, "dependency down: consumption paused")
              : logger.warn({ err: err.message, attempts, retryInMs: Math.round(delayMs) }, "event handler failed; retrying"),
        },
      ),
    ));
    if (outcome === undefined) return false; // stopping: redelivered after restart
    if (!outcome.handled) return this.deadLetter(message, outcome.error, attempts, control);
    return true;
  }

  /** Publishes the message to the dead-letter topic, retrying until it is there (or stopping). */
  private async deadLetter(message: ConsumedMessage, error: Error, attempts: number, control: DeliveryControl): Promise<boolean> {
    const type = message.headers.ce_type ?? "unknown";
    this.options.logger.error({ err: error.message, attempts, topic: message.topic, offset: message.offset, type }, "event dead-lettered");
    const published = await this.whileRunning(control, () =>
      retrying(
        async () => {
          await this.options.bus.publish([
            {
              topic: deadLetterTopic(message.topic),
              key: message.key,
              value: message.value,
              headers: {
                ...message.headers,
                dlq_error: `${error.name}: ${error.message}`.slice(0, 2000),
                dlq_attempts: String(attempts),
                dlq_consumer: this.options.name,
                dlq_original_topic: message.topic,
                dlq_original_partition: String(message.partition),
                dlq_original_offset: message.offset,
                dlq_time: new Date().toISOString(),
              },
            },
          ]);
          return true;
        },
        {
          initialDelayMs: this.initialBackoffMs,
          maxDelayMs: this.maxBackoffMs,
          signal: control.signal,
          onRetry: (err) => this.options.logger.warn({ err: err.message }, "dead-letter publish failed; retrying"),
        },
      ),
    );
    if (published === undefined) return false;
    this.outcomes.inc({ consumer: this.options.name, type, outcome: "dead_lettered" });
    this.deadLettered.inc({ consumer: this.options.name });
    return true;
  }

  /**
   * Runs `work` while heartbeating every second, so that a long backoff does not
   * make the group think this consumer died; resolves undefined when the
   * subscription stopped meanwhile (the message is redelivered after a restart).
   */
  private async whileRunning<T>(control: DeliveryControl, work: () => Promise<T>): Promise<T | undefined> {
    const heartbeat = setInterval(() => void control.heartbeat().catch(() => {}), 1_000);
    try {
      return await work();
    } catch (err) {
      if (control.signal.aborted) return undefined;
      throw err;
    } finally {
      clearInterval(heartbeat);
    }
  }
}

function isDependencyDown(err: unknown): boolean {
  if (err instanceof DependencyUnavailableError || isConnectionError(err)) return true;
  return err instanceof ConnectError && (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded);
}
