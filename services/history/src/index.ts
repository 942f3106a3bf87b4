// The history service definition: what main.ts runs and what tests start in-process.
// One projection per running service (perRuntime): its progress (metrics),
// its rebuild control (the admin route, a watcher worker) and the consumer
// the platform builds for its event handlers.
import { bool, createEventBus, int, perRuntime, type KafkaBus, type Runtime, type ServiceDefinition } from "@meshmart/platform";
import type { EventConfig } from "@meshmart/platform/service-config";
import { OrderHistoryService } from "@meshmart/proto/history/v1/history_pb";
import { services } from "@meshmart/topology";
import { registerHistoryEvents } from "./history-events.ts";
import { createHistoryService } from "./history-service.ts";
import { projectionAdminRoute } from "./projection-admin.ts";
import { ProjectionProgress } from "./projection-progress.ts";
import { ProjectionControl } from "./projection-rebuild.ts";

const config = {
  /** Serves /admin/projection/rebuild (make rebuild-projection). On by default: a rebuild loses nothing. */
  PROJECTION_ADMIN: bool(true),
  /** How long a rebuild waits for the consumer group to have no members (every replica's consumer stopped). */
  REBUILD_WAIT_MS: int({ default: 30_000, min: 1_000, max: 600_000 }),
  /** How often each replica looks whether a rebuild is under way (and stops or restarts its consumer). */
  PROJECTION_WATCH_MS: int({ default: 500, min: 50, max: 60_000 }),
};

const projectionOf = perRuntime((runtime: Runtime<typeof config>) => {
  const events = runtime.config as unknown as Partial<EventConfig>;
  const prefix = events.KAFKA_TOPIC_PREFIX ?? "";
  // The group the platform's consumer joins (event-workers.ts), which is also its inbox's consumer column.
  const group = events.KAFKA_CONSUMER_GROUP || `${prefix}history`;
  const topics = services.history.consumes;
  let bus: KafkaBus | undefined;
  const busOf = () =>
    (bus ??= createEventBus({ client: events.KAFKA_CLIENT ?? "kafkajs", brokers: events.KAFKA_BROKERS ?? [], clientId: "history-projection", logger: runtime.logger }));
  const progress = new ProjectionProgress(runtime.metrics.registry, topics, prefix, group);
  const control = new ProjectionControl({
    db: () => runtime.db,
    bus: busOf,
    group,
    topics: topics.map((topic) => prefix + topic),
    progress,
    logger: runtime.logger.child({ component: "projection" }),
    waitForGroupMs: runtime.config.REBUILD_WAIT_MS,
    watchIntervalMs: runtime.config.PROJECTION_WATCH_MS,
    draining: runtime.draining,
  });
  return { progress, control, bus: busOf, group, prefix, close: async () => bus?.close() };
});

export const historyService: ServiceDefinition<typeof config> = {
  name: "history",
  config,
  migrations: new URL("../migrations", import.meta.url),
  rpc: (router, runtime) => {
    const { progress, control, bus, group, prefix } = projectionOf(runtime);
    router.service(OrderHistoryService, createHistoryService({ db: runtime.db, progress, control, bus, group, topicPrefix: prefix }));
  },
  http: (app, runtime) => {
    if (runtime.config.PROJECTION_ADMIN) app.use(projectionAdminRoute(projectionOf(runtime).control, runtime.logger));
  },
  events: (consumer, runtime) => {
    const { progress, control } = projectionOf(runtime);
    control.attach(consumer);
    registerHistoryEvents(consumer, (topic, time) => progress.record(topic, time));
  },
  workers: (runtime) => {
    const { control, close } = projectionOf(runtime);
    return [{ stop: close }, control.watcher()];
  },
};

export { rebuildPath } from "./projection-admin.ts";
