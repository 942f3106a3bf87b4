// Every route of the REST API, in one list: the router serves it and the
// OpenAPI test compares it with the document.
import type { ProductReads } from "@meshmart/platform";
import type { Backends } from "./backends.ts";
import type { OrderAdmission } from "./order-admission.ts";
import { openApiDocument } from "./openapi.ts";
import { orderRoutes } from "./order-routes.ts";
import { productRoutes } from "./product-routes.ts";
import type { Route } from "./rest-router.ts";
import { stockRoutes } from "./stock-routes.ts";

export function gatewayRoutes(backends: Backends, admission?: OrderAdmission, products?: ProductReads): Route[] {
  return [
    ...productRoutes(backends, products),
    ...orderRoutes(backends, admission),
    ...stockRoutes(backends),
    {
      method: "GET",
      path: "/api/v1/openapi.json",
      authenticated: false,
      async handle(ctx) {
        ctx.body = openApiDocument;
      },
    },
  ];
}
