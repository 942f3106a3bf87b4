// The consumer runtime. Each event runs its handler inside a database
// transaction that also records (consumer, event id) in the inbox: a duplicate
// is skipped, and the Kafka offset is committed only after that transaction
// commits. A failing handler is retried with backoff a bounded number of times,
// then the message goes to `<topic>.dlq` with its headers, the error and the
// attempt count. When a dependency is down (the database, a service answering
// Unavailable), consumption pauses and resumes instead of dead-lettering.
import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { Code, ConnectError } from "@connectrpc/connect";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { isConnectionError, type Database, type Transaction } from "../database.ts";
import type { FaultSwitch } from "../fault-switch.ts";
import type { Logger } from "../logger.ts";
import { retrying } from "../retry.ts";
import { childTrace, parseTraceparent, runWithContext } from "../request-context.ts";
import { fromHeaders, MalformedEventError, type CloudEventAttributes } from "./cloud-events.ts";
import type { ConsumedMessage, DeliveryControl, EventBus, Subscription } from "./event-bus.ts";
import { topicOf, type Outbox } from "./outbox.ts";

export interface EventContext {
  /** The transaction the handler's effects (and the inbox record) commit in. */
  readonly tx: Transaction;
  readonly event: CloudEventAttributes;
  readonly outbox: Outbox;
  readonly logger: Logger;
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
  maxBackoffMs?: number;
}

interface Registration {
  schema: DescMessage;
  handler: EventHandler<DescMessage>;
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
  private readonly lag: Gauge;
  private readonly paused: Gauge;
  private readonly outcomes: Counter;
  private readonly duration: Histogram;

  constructor(private readonly options: EventConsumerOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
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
    this.duration = new Histogram({
      name: "consumer_handler_duration_seconds",
      help: "Time to handle one event, transaction included.",
      labelNames: ["consumer", "type"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  /** Registers the handler for one event type. */
  on<Desc extends DescMessage>(schema: Desc, handler: EventHandler<Desc>): this {
    this.handlers.set(schema.typeName, { schema, handler: handler });
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
      onLag: (topic, partition, lag) => this.lag.set({ consumer: this.options.name, topic, partition }, lag),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  private async handle(message: ConsumedMessage, control: DeliveryControl): Promise<boolean> {
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

    const trace = childTrace(parseTraceparent(event.traceparent));
    const logger = this.options.logger.child({ eventId: event.id, eventType: event.type });
    const handler = registration.handler;
    // Only failures of the handler itself count towards dead-lettering; a dependency that is
    // down pauses consumption (retried until it is back) and counts nothing.
    let attempts = 0;
    const outcome = await this.whileRunning(control, () =>
      retrying(
        async () => {
          const stopTimer = this.duration.startTimer({ consumer, type: event.type });
          try {
            const result = await runWithContext({ requestId: event.id, trace }, () =>
              this.options.db.transaction(async (tx) => {
                const inserted = await tx.query(
                  "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                  [consumer, event.id, event.type],
                );
                if (inserted.rowCount === 0) return "duplicate" as const;
                await this.options.faults?.beforeEvent(event.type);
                await handler(data, { tx, event, outbox: this.options.outbox, logger });
                return "handled" as const;
              }),
            );
            this.outcomes.inc({ consumer, type: event.type, outcome: result });
            this.paused.set({ consumer }, 0);
            // Test-only (FAULTS "committed:<type>=crash"): die here, effects committed, offset not.
            if (result === "handled") await this.options.faults?.afterCommit(event.type);
            return { handled: true as const };
          } catch (err) {
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
    );
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
