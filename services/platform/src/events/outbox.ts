// Writing events: into the outbox table, inside the caller's transaction. The
// only way to emit an event takes a Transaction, which exists only inside
// Database.transaction(), so an event can never be published without the state
// change it describes (or the other way round).
import { randomUUID } from "node:crypto";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { Transaction } from "../database.ts";
import { SpanKind } from "@opentelemetry/api";
import { inSpan, meshmartAttributes } from "../telemetry/spans.ts";
import { messagingAttributes } from "../telemetry/messaging-spans.ts";
import { traceHeaders } from "../telemetry/trace-context.ts";
import { dataschemaOf, toHeaders } from "./cloud-events.ts";

/** Topic of an event: its protobuf package, one topic per aggregate type (e.g. meshmart.orders.v1). */
export function topicOf(schema: DescMessage): string {
  return schema.file.proto.package;
}

export class Outbox {
  private readonly listeners = new Set<() => void>();
  private readonly pending = new WeakSet<Transaction>();

  /**
   * @param source CloudEvents source of this service, e.g. /meshmart/catalog
   * @param topicPrefix prepended to every topic (isolates test runs on a shared broker)
   */
  constructor(
    private readonly source: string,
    private readonly topicPrefix = "",
  ) {}

  /**
   * Calls `listener` after every commit of a transaction that emitted events:
   * how the relay of this process learns at once that there is something to
   * publish (rows written by other processes are found by its poll).
   */
  onCommitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Adds an event to the outbox in `tx`. `key` is the aggregate id: it is the
   * Kafka message key, so the events of one aggregate stay in order.
   */
  async emit<Desc extends DescMessage>(
    tx: Transaction,
    schema: Desc,
    data: MessageInitShape<Desc>,
    options: { key: string },
  ): Promise<string> {
    const id = randomUUID();
    const topic = this.topicPrefix + topicOf(schema);
    const payload = toBinary(schema, create(schema, data));
    const headers = toHeaders({
      id,
      source: this.source,
      type: schema.typeName,
      time: new Date().toISOString(),
      subject: options.key,
      dataschema: dataschemaOf(schema.typeName),
    });
    // The event is created in a span of its own, whose context the row keeps for the relay (outbox-relay.ts).
    const attributes = { ...messagingAttributes("create", topic, id, options.key), [meshmartAttributes.eventType]: schema.typeName };
    await inSpan(`outbox write ${schema.typeName}`, { kind: SpanKind.PRODUCER, attributes }, async () => {
      const trace = traceHeaders();
      await tx.query(
        `INSERT INTO outbox (id, topic, aggregate_type, aggregate_id, type, payload, headers, traceparent, tracestate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [id, topic, topic, options.key, schema.typeName, Buffer.from(payload), headers, trace.traceparent ?? null, trace.tracestate ?? null],
      );
    });
    if (!this.pending.has(tx)) {
      this.pending.add(tx);
      tx.afterCommit(() => {
        for (const listener of this.listeners) listener();
      });
    }
    return id;
  }
}
