// Catalog's products, cached in the process that reads them (orders pricing a
// new order, the gateway's product pages), kept fresh by catalog's events: ProductPriceChanged and
// ProductDeleted drop the product (ProductCreated too: harmless). Each process
// reads the catalog topic on its own (invalidation-feed.ts), so a price change
// reaches every replica; docs/architecture.md gives the bound measured.
import type { Client } from "@connectrpc/connect";
import { create, toJsonString } from "@bufbuild/protobuf";
import {
  GetProductResponseSchema,
  ListProductsRequestSchema,
  type CatalogService,
  type GetProductRequest,
  type GetProductResponse,
  type ListProductsRequest,
  type ListProductsResponse,
  type Product,
} from "@meshmart/proto/catalog/v1/catalog_pb";
import { ProductCreatedSchema, ProductDeletedSchema, ProductPriceChangedSchema } from "@meshmart/proto/catalog/v1/events_pb";
import { services, topics, type ServiceName } from "@meshmart/topology";
import { int, loadConfig, list, str, type ConfigOf, type Env } from "./config.ts";
import { KafkaEventBus } from "./events/kafka-event-bus.ts";
import { startInvalidationFeed } from "./events/invalidation-feed.ts";
import type { Logger } from "./logger.ts";
import { ReadThroughCache } from "./read-through-cache.ts";
import { retrying } from "./retry.ts";
import type { Registry } from "prom-client";
import type { Worker } from "./service-definition.ts";

export const productCacheConfig = {
  /**
   * Longest a cached product is served: the bound on staleness when the
   * invalidation feed misses an event (a broker down, a feed stuck). 0 turns
   * the cache off: every read goes to catalog.
   */
  PRODUCT_CACHE_TTL_MS: int({ default: 30_000, min: 0, max: 3_600_000 }),
  /** Most products held; the least recently used go first. */
  PRODUCT_CACHE_MAX_ENTRIES: int({ default: 10_000, min: 1, max: 10_000_000 }),
};

/** The broker the feed reads (the service's own event settings); none: no feed, so the cache never stores. */
const feedConfig = { KAFKA_BROKERS: list([]), KAFKA_TOPIC_PREFIX: str("") };

/** The events that drop a product from every cache. */
const invalidatingTypes: ReadonlySet<string> = new Set([ProductPriceChangedSchema.typeName, ProductDeletedSchema.typeName, ProductCreatedSchema.typeName]);

export interface ProductLookup {
  /** The products of `ids` that exist (in the order of `ids`) and those that do not, as BatchGetProducts answers. */
  batchGet(ids: readonly string[], timeoutMs: number): Promise<{ products: Product[]; missingIds: string[] }>;
}

/** The product reads of the gateway's pages, as catalog's client has them (and the cache). */
export interface ProductReads {
  getProduct(request: GetProductRequest): Promise<GetProductResponse>;
  listProducts(request: ListProductsRequest): Promise<ListProductsResponse>;
}

export class ProductCache implements ProductLookup, ProductReads {
  readonly cache: ReadThroughCache<Product>;
  /** Pages of ListProducts by request: any product event may change any page, so each one clears them all. */
  readonly lists: ReadThroughCache<ListProductsResponse>;

  constructor(
    private readonly catalog: Client<typeof CatalogService>,
    options: { service: string; ttlMs: number; maxEntries: number; registry: Registry },
  ) {
    this.cache = new ReadThroughCache({ name: `${options.service}-products`, ttlMs: options.ttlMs, maxEntries: options.maxEntries, registry: options.registry });
    this.lists = new ReadThroughCache({ name: `${options.service}-product-lists`, ttlMs: options.ttlMs, maxEntries: options.maxEntries, registry: options.registry });
  }

  setLive(live: boolean): void {
    this.cache.setLive(live);
    this.lists.setLive(live);
  }

  async getProduct(request: GetProductRequest): Promise<GetProductResponse> {
    // Catalog's not_found (and any error) goes to the caller; nothing is stored.
    const product = await this.cache.get(request.id, async () => (await this.catalog.getProduct(request)).product);
    return create(GetProductResponseSchema, { product });
  }

  async listProducts(request: ListProductsRequest): Promise<ListProductsResponse> {
    const key = toJsonString(ListProductsRequestSchema, request);
    return (await this.lists.get(key, () => this.catalog.listProducts(request)))!;
  }

  async batchGet(ids: readonly string[], timeoutMs: number): Promise<{ products: Product[]; missingIds: string[] }> {
    const found = await this.cache.getMany(ids, async (missing) => {
      const response = await this.catalog.batchGetProducts({ ids: missing }, { timeoutMs });
      return new Map(response.products.map((product) => [product.id, product]));
    });
    return {
      products: ids.flatMap((id) => found.get(id) ?? []),
      missingIds: ids.filter((id) => !found.has(id)),
    };
  }

  /** An event of the catalog topic: drops its product when it may have changed. */
  onEvent(type: string, productId: string): void {
    if (!invalidatingTypes.has(type)) return;
    this.cache.invalidate(productId);
    this.lists.clear("event");
  }
}

/**
 * The cache for `service` and the worker that feeds it catalog's events (in
 * the background: a broker down at start-up leaves the cache bypassed, not the
 * service down).
 */
export function startProductCache(
  service: ServiceName,
  catalog: Client<typeof CatalogService>,
  runtime: { env: Env; logger: Logger; registry: Registry; config: ConfigOf<typeof productCacheConfig> },
): { products: ProductCache; worker: Worker } {
  const products = new ProductCache(catalog, {
    service,
    ttlMs: runtime.config.PRODUCT_CACHE_TTL_MS,
    maxEntries: runtime.config.PRODUCT_CACHE_MAX_ENTRIES,
    registry: runtime.registry,
  });
  if (!products.cache.enabled) return { products, worker: { stop: async () => {} } };
  // The topology says who reads which topic (Kafka's clients, the dashboards are derived from it).
  if (!services[service].invalidatesFrom.includes(topics.catalog)) {
    throw new Error(`${service} caches products but topology.ts does not list ${topics.catalog} in its invalidatesFrom`);
  }
  const { KAFKA_BROKERS, KAFKA_TOPIC_PREFIX } = loadConfig(feedConfig, runtime.env);
  const logger = runtime.logger.child({ component: "product-cache" });
  if (KAFKA_BROKERS.length === 0) {
    logger.info("no KAFKA_BROKERS: no invalidation feed, so the product cache stays off");
    return { products, worker: { stop: async () => {} } };
  }
  const bus = new KafkaEventBus({ brokers: KAFKA_BROKERS, clientId: `${service}-product-cache`, logger });
  const stopping = new AbortController();
  const subscribed = retrying(
    () =>
      startInvalidationFeed({
        bus,
        purpose: `${KAFKA_TOPIC_PREFIX}${service}-product-cache`,
        topics: [KAFKA_TOPIC_PREFIX + topics.catalog],
        logger,
        onEvent: (type, key) => products.onEvent(type, key),
        onLive: (live) => products.setLive(live),
      }),
    {
      signal: stopping.signal,
      onRetry: (err, delayMs) => logger.warn({ err: err.message, retryInMs: Math.round(delayMs) }, "kafka not reachable: product cache bypassed until it is"),
    },
  ).catch((err: Error) => {
    if (!stopping.signal.aborted) logger.error({ err }, "product cache feed failed to start");
    return undefined;
  });
  return {
    products,
    worker: {
      async stop() {
        stopping.abort();
        await (await subscribed)?.stop();
        await bus.close();
      },
    },
  };
}
