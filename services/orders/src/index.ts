// The orders service definition: what main.ts runs and what tests start in-process.
import {
  clientPolicy,
  createServiceClient,
  int,
  perRuntime,
  productCacheConfig,
  serviceUrl,
  startProductCache,
  type Runtime,
  type ServiceDefinition,
} from "@meshmart/platform";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { OrderSaga } from "./order-saga.ts";
import { createOrderService } from "./order-service.ts";
import { startDeadlineSweeper } from "./saga-deadline.ts";
import { registerSagaEvents } from "./saga-events.ts";

const config = {
  /** How long a saga may run before it is cancelled and compensated. */
  SAGA_TIMEOUT_MS: int({ default: 30_000, min: 100, max: 86_400_000 }),
  SAGA_SWEEP_INTERVAL_MS: int({ default: 250, min: 50, max: 60_000 }),
  /** Deadline of the catalog call that prices a new order. */
  CATALOG_TIMEOUT_MS: int({ default: 2_000, min: 50, max: 60_000 }),
  /** PRODUCT_CACHE_TTL_MS (0: off), PRODUCT_CACHE_MAX_ENTRIES: the products new orders are priced from. */
  ...productCacheConfig,
};

// One saga per running service, shared by the RPCs, the events and the sweeper.
const sagaOf = perRuntime(
  (runtime: Runtime<typeof config>) => new OrderSaga(runtime.outbox, runtime.logger, runtime.metrics.registry, runtime.db),
);

// One product cache per running service: pricing reads it, a worker keeps it fresh.
const productsOf = perRuntime((runtime: Runtime<typeof config>) => {
  const catalog = createServiceClient(CatalogService, {
    baseUrl: serviceUrl("catalog", runtime.env),
    interceptors: [runtime.metrics.clientInterceptor],
    policy: clientPolicy("catalog", runtime.config.SERVICE_MESH),
  });
  return startProductCache("orders", catalog, { env: runtime.env, logger: runtime.logger, config: runtime.config, registry: runtime.metrics.registry });
});

export const ordersService: ServiceDefinition<typeof config> = {
  name: "orders",
  config,
  migrations: new URL("../migrations", import.meta.url),
  rpc: (router, runtime) => {
    router.service(
      OrderService,
      createOrderService({
        db: runtime.db,
        saga: sagaOf(runtime),
        products: productsOf(runtime).products,
        sagaTimeoutMs: runtime.config.SAGA_TIMEOUT_MS,
        catalogTimeoutMs: runtime.config.CATALOG_TIMEOUT_MS,
      }),
    );
  },
  events: (consumer, runtime) => registerSagaEvents(consumer, sagaOf(runtime)),
  workers: (runtime) => [
    productsOf(runtime).worker,
    startDeadlineSweeper(runtime.db.connectionString, sagaOf(runtime), runtime.logger, runtime.config.SAGA_SWEEP_INTERVAL_MS),
  ],
};

// The saga as plain code, for checkers that recompute an order from its timeline.
export { asPlaced, fold, type SagaEvent, type SagaState, type TimedEvent } from "./saga-decision.ts";
