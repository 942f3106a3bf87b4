// The gateway service definition: the public REST/JSON edge. No database and
// no RPCs of its own; it serves /api/v1 and calls catalog, inventory and
// orders with Connect clients.
import type { ServiceDefinition } from "@meshmart/platform";
import { mountGateway } from "./gateway-app.ts";
import { gatewayConfig } from "./gateway-config.ts";

export const gatewayService: ServiceDefinition<typeof gatewayConfig> = {
  name: "gateway",
  config: gatewayConfig,
  http: (app, runtime) => mountGateway(app, runtime),
};

export { customerIdFor } from "./customer-id.ts";
export { openApiDocument } from "./openapi.ts";
