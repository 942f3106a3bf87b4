// For tests of a service's event handlers: the service in-process on a fresh
// database, fed by a TestEventSource that plays the service whose events it
// consumes, and the two questions those tests keep asking: has the service
// handled these events yet, and what did it emit for this aggregate?
import type { ConfigSpec } from "../config.ts";
import { startService, type RunningService } from "../service.ts";
import type { ServiceDefinition } from "../service-definition.ts";
import { createTestDatabase, eventually, inProcessServiceEnv } from "../test-support.ts";
import type { ServiceName } from "@meshmart/topology";
import { createTestEventSource, type TestEventSource } from "./test-event-source.ts";

export interface EmittedRow {
  /** The full event type, e.g. meshmart.payments.v1.PaymentCaptured. */
  type: string;
  payload: Buffer;
  published: boolean;
}

export interface EventWorld {
  source: TestEventSource;
  service: RunningService;
  /** Resolves once the service has handled (or skipped) every one of these events (its inbox holds them). */
  handled(eventIds: string[]): Promise<void>;
  /** What the service emitted through its outbox for one aggregate (an order id), in order. */
  emitted(aggregateId: string): Promise<EmittedRow[]>;
  close(): Promise<void>;
}

export async function startEventWorld<S extends ConfigSpec>(
  definition: ServiceDefinition<S>,
  source: ServiceName,
  env: Record<string, string> = {},
): Promise<EventWorld> {
  const events = await createTestEventSource(source);
  const service = await startService(definition, {
    env: {
      ...inProcessServiceEnv(),
      DATABASE_URL: await createTestDatabase(definition.name),
      KAFKA_TOPIC_PREFIX: events.prefix,
      KAFKA_CONSUMER_GROUP: `${events.prefix}${definition.name}`,
      ...env,
    },
  });
  return {
    source: events,
    service,
    async handled(eventIds) {
      await eventually(
        async () => {
          const { rowCount } = await service.runtime.db.query("SELECT 1 FROM inbox WHERE event_id = ANY($1)", [eventIds]);
          return rowCount === eventIds.length ? true : undefined;
        },
        { what: `${eventIds.length} events handled` },
      );
    },
    async emitted(aggregateId) {
      const { rows } = await service.runtime.db.query<EmittedRow & Record<string, unknown>>(
        "SELECT type, payload, published_at IS NOT NULL AS published FROM outbox WHERE aggregate_id = $1 ORDER BY seq",
        [aggregateId],
      );
      return rows;
    },
    async close() {
      await service.stop();
      await events.close();
    },
  };
}
