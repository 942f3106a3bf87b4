// The gateway service definition: the public REST/JSON edge. No database and
// no RPCs of its own; it serves /api/v1 and calls catalog, inventory and
// orders with Connect clients.
import { perRuntime, startProductCache, type Runtime, type ServiceDefinition } from "@meshmart/platform";
import { createBackends } from "./backends.ts";
import { mountGateway } from "./gateway-app.ts";
import { gatewayConfig } from "./gateway-config.ts";

// One product cache per running gateway: the product routes read it, a worker keeps it fresh.
const productsOf = perRuntime((runtime: Runtime<typeof gatewayConfig>) =>
  startProductCache("gateway", createBackends(runtime, runtime.config.BACKEND_TIMEOUT_MS).catalog, { env: runtime.env, logger: runtime.logger, config: runtime.config, registry: runtime.metrics.registry }),
);

export const gatewayService: ServiceDefinition<typeof gatewayConfig> = {
  name: "gateway",
  config: gatewayConfig,
  http: (app, runtime) => mountGateway(app, runtime, productsOf(runtime).products),
  workers: (runtime) => [productsOf(runtime).worker],
};

export { customerIdFor } from "./customer-id.ts";
export { openApiDocument } from "./openapi.ts";
