// Test support: a gateway started in-process against fake catalog, orders,
// history and inventory services. The fakes are real Connect servers (the platform's
// startService, so requests are validated from the protos like the real
// services do) serving the real generated descriptors; each test swaps in
// the handlers it needs and reads back what the gateway sent.
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { OrderHistoryService } from "@meshmart/proto/history/v1/history_pb";
import { InventoryService } from "@meshmart/proto/inventory/v1/inventory_pb";
import { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { devToken, generateSigningKey, type SigningKey } from "@meshmart/dev-identity";
import { startService, type RunningService } from "@meshmart/platform";
import { type ServiceName } from "@meshmart/topology";
import { gatewayService } from "./index.ts";

/** A backend call the gateway made. */
export interface BackendCall {
  readonly service: ServiceName;
  readonly method: string;
  readonly request: unknown;
  readonly headers: Headers;
}

type Handlers<S extends DescService> = Partial<ServiceImpl<S>>;

export interface TestGateway {
  readonly url: string;
  readonly gateway: RunningService;
  readonly catalog: Handlers<typeof CatalogService>;
  readonly orders: Handlers<typeof OrderService>;
  readonly history: Handlers<typeof OrderHistoryService>;
  readonly inventory: Handlers<typeof InventoryService>;
  /** Every backend call, in order. */
  readonly calls: BackendCall[];
  callsTo(method: string): BackendCall[];
  /** The token issuer's key pair of this gateway (its public half is the gateway's JWT_JWKS). */
  readonly signingKey: SigningKey;
  /** A valid token of the issuer, for `subject`. */
  token(subject?: string, ttlSeconds?: number): Promise<string>;
  /** fetch() against the gateway. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Stops one fake backend (to see the gateway with it down). */
  stopBackend(service: "catalog" | "orders" | "history" | "inventory"): Promise<void>;
  stop(): Promise<void>;
}

const quiet = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" };

export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const calls: BackendCall[] = [];
  const signingKey = generateSigningKey();
  const handlers = {
    catalog: {} as Handlers<typeof CatalogService>,
    orders: {} as Handlers<typeof OrderService>,
    history: {} as Handlers<typeof OrderHistoryService>,
    inventory: {} as Handlers<typeof InventoryService>,
  };
  const fake = <S extends DescService>(name: ServiceName, desc: S, impl: Handlers<S>) =>
    startService(
      {
        name,
        rpc: (router) => router.service(desc, recording(name, desc, impl, calls)),
      },
      { env: quiet },
    );
  const backends = {
    catalog: await fake("catalog", CatalogService, handlers.catalog),
    orders: await fake("orders", OrderService, handlers.orders),
    history: await fake("history", OrderHistoryService, handlers.history),
    inventory: await fake("inventory", InventoryService, handlers.inventory),
  };
  const gateway = await startService(gatewayService, {
    env: {
      ...quiet,
      JWT_JWKS: signingKey.jwks,
      CATALOG_URL: backends.catalog.url,
      ORDERS_URL: backends.orders.url,
      HISTORY_URL: backends.history.url,
      INVENTORY_URL: backends.inventory.url,
      RATE_LIMIT_RPS: "0",
      ...env,
    },
  });
  const stopped = new Set<string>();
  return {
    url: gateway.url,
    gateway,
    ...handlers,
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    signingKey,
    token: (subject = "customer-1", ttlSeconds = 3600) => devToken({ subject, ttlSeconds, key: signingKey }),
    request: (path, init) => fetch(`${gateway.url}${path}`, init),
    async stopBackend(service) {
      stopped.add(service);
      await backends[service].stop();
    },
    async stop() {
      await gateway.stop();
      for (const [name, backend] of Object.entries(backends)) if (!stopped.has(name)) await backend.stop();
    },
  };
}

/** An implementation of every method of `desc` that records the call and defers to `impl`, read at call time. */
function recording<S extends DescService>(service: ServiceName, desc: S, impl: Handlers<S>, calls: BackendCall[]): ServiceImpl<S> {
  const methods: Record<string, unknown> = {};
  for (const method of desc.methods) {
    methods[method.localName] = (request: unknown, context: HandlerContext) => {
      calls.push({ service, method: method.name, request, headers: new Headers(context.requestHeader) });
      const handler = (impl as Record<string, ((req: unknown, ctx: HandlerContext) => unknown) | undefined>)[method.localName];
      if (!handler) throw new ConnectError(`${method.name} is not faked in this test`, Code.Unimplemented);
      return handler(request, context);
    };
  }
  return methods as ServiceImpl<S>;
}

/** Reads a problem+json response, checking its content type. */
export async function problemOf(response: Response): Promise<Record<string, unknown> & { status: number; detail: string; violations?: { field: string; rule: string; message: string }[] }> {
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("application/problem+json")) {
    throw new Error(`expected application/problem+json, got ${type} (${response.status}): ${await response.text()}`);
  }
  return (await response.json()) as never;
}
