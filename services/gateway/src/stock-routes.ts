// Stock: public reads of inventory.
//   GET /api/v1/stock?product_id=...   (repeated, or comma-separated)
import { create } from "@bufbuild/protobuf";
import { GetStockRequestSchema, GetStockResponseSchema } from "@meshmart/proto/inventory/v1/inventory_pb";
import { callBackend } from "./backend-errors.ts";
import type { Backends } from "./backends.ts";
import { sendMessage, validateMessage } from "./messages.ts";
import { Query } from "./query.ts";
import type { Route } from "./router.ts";

const aliases = { product_ids: "product_id" };

export function stockRoutes({ inventory }: Backends): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v1/stock",
      authenticated: false,
      async handle(ctx) {
        const query = new Query(ctx, ["product_id"]);
        const request = create(GetStockRequestSchema, { productIds: query.list("product_id") });
        validateMessage(GetStockRequestSchema, request, aliases);
        sendMessage(ctx, GetStockResponseSchema, await callBackend(() => inventory.getStock(request), aliases));
      },
    },
  ];
}
