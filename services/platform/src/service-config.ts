// The settings every service reads (PORT, LOG_LEVEL, ...), those of a service
// with a database, and those of one that produces or consumes events. A
// service's own settings come on top (ServiceDefinition.config).
import { bool, int, list, oneOf, port, setting, str, type ConfigOf } from "./config.ts";
import { parseFaults } from "./fault-switch.ts";
import { serverLimitsConfig } from "./server-limits.ts";
import { serviceMeshes } from "./client-policy.ts";
import { tracingConfig } from "./telemetry/tracing.ts";
import { kafkaClients } from "./events/kafka-client.ts";

export const baseConfig = {
  PORT: port(),
  HOST: str("0.0.0.0"),
  LOG_LEVEL: oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const, "info"),
  SHUTDOWN_TIMEOUT_MS: int({ default: 10_000, min: 0, max: 300_000 }),
  /**
   * After SIGTERM, how long the port still accepts while readiness (/readyz,
   * grpc.health.v1) says not ready, before it closes and drains. 0: close at
   * once (in the cluster, the preStop pause gives the endpoints their time).
   */
  DRAIN_DELAY_MS: int({ default: 0, min: 0, max: 60_000 }),
  /** Fault switch rules (see fault-switch.ts); empty means off. */
  FAULTS: setting(parseFaults, []),
  /** Enables GET/PUT /admin/faults to change the rules at run time. Never on by default. */
  FAULT_ADMIN: bool(false),
  /**
   * Who applies timeouts, retries and circuit breaking to calls between
   * services: `istio` (the sidecars; the manifests set it) or `none` (the
   * Connect clients themselves, client-policy.ts; local runs and tests).
   */
  SERVICE_MESH: oneOf(serviceMeshes, "none"),
  ...serverLimitsConfig,
  /** OTEL_EXPORTER_OTLP_ENDPOINT (export off when unset), OTEL_TRACES_SAMPLER(_ARG). */
  ...tracingConfig,
};

export const databaseConfig = {
  DATABASE_URL: str(),
  /** How long start-up waits for the database to accept connections. */
  DATABASE_WAIT_MS: int({ default: 60_000, min: 0, max: 600_000 }),
};

export const eventConfig = {
  KAFKA_BROKERS: list(),
  /** The Kafka client: `kafkajs` (brokers up to 3.9) or `platformatic` (@platformatic/kafka, 3.5 to 4.x). */
  KAFKA_CLIENT: oneOf(kafkaClients, "kafkajs"),
  /** Partitions of the topics this service creates when they are missing. */
  KAFKA_PARTITIONS: int({ default: 3, min: 1, max: 1000 }),
  /** Prepended to every topic name; isolates test runs that share a broker. */
  KAFKA_TOPIC_PREFIX: str(""),
  /** Consumer group; defaults to the topic prefix + the service name. */
  KAFKA_CONSUMER_GROUP: str(""),
  /** Attempts before a failing event is dead-lettered. */
  EVENT_MAX_ATTEMPTS: int({ default: 5, min: 1, max: 100 }),
  /** Partitions a consumer handles at the same time (order holds within a partition). */
  EVENT_CONCURRENCY: int({ default: 3, min: 1, max: 64 }),
  /** Most events a consumer handles in one transaction (batchable handlers only); 1 turns batching off. */
  EVENT_BATCH_MAX: int({ default: 64, min: 1, max: 1000 }),
  /** How often the relay looks for rows another process wrote (its own process's commits wake it at once). */
  OUTBOX_POLL_MS: int({ default: 250, min: 10, max: 60_000 }),
};

export type BaseConfig = ConfigOf<typeof baseConfig>;
export type EventConfig = ConfigOf<typeof eventConfig>;
