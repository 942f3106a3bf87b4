// Stock: public reads of inventory.
//   GET /api/v1/stock?product_id=...   (repeated, or comma-separated)
import { create } from "@bufbuild/protobuf";
import { GetStockRequestSchema, GetStockResponseSchema } from "@meshmart/proto/inventory/v1/inventory_pb";
import { callBackend } from "./backend-errors.ts";
import type { Backends } from "./backends.ts";
import { sendMessage, validateMessage } from "./messages.ts";
import { badField } from "./problem.ts";
import { Query } from "./query.ts";
import type { Route } from "./rest-router.ts";

const aliases = { product_ids: "product_id" };

/**
 * Ids one request may name: as many as fit the request line in the server's
 * header limit (HTTP_MAX_HEADER_BYTES, 16 KiB), each `product_id=<uuid>&`
 * taking 48 bytes. The backend takes up to 1000 over RPC.
 */
export const maxStockIds = 250;

export function stockRoutes({ inventory }: Backends): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v1/stock",
      authenticated: false,
      async handle(ctx) {
        const query = new Query(ctx, ["product_id"]);
        const productIds = query.list("product_id");
        if (productIds.length > maxStockIds) throw badField("product_id", "query.max_items", `at most ${maxStockIds} ids per request`);
        const request = create(GetStockRequestSchema, { productIds });
        validateMessage(GetStockRequestSchema, request, aliases);
        sendMessage(ctx, GetStockResponseSchema, await callBackend(() => inventory.getStock(request), aliases));
      },
    },
  ];
}
