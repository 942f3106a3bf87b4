// Products: public reads of the catalog.
//   GET /api/v1/products?category=&min_price=&max_price=&page_size=&page_token=
//   GET /api/v1/products/{id}
import { create } from "@bufbuild/protobuf";
import {
  GetProductRequestSchema,
  ListProductsRequestSchema,
  ListProductsResponseSchema,
  ProductSchema,
} from "@meshmart/proto/catalog/v1/catalog_pb";
import { callBackend } from "./backend-errors.ts";
import type { Backends } from "./backends.ts";
import { sendMessage, validateMessage } from "./messages.ts";
import { badField, Problem } from "./problem.ts";
import { expectNoQuery, int32, Query } from "./query.ts";
import type { Route } from "./router.ts";

/** Proto fields of ListProductsRequest as the query parameters that set them. */
const listAliases = { min_price_units_minor: "min_price", max_price_units_minor: "max_price" };

export function productRoutes({ catalog }: Backends): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v1/products",
      authenticated: false,
      async handle(ctx) {
        const query = new Query(ctx, ["category", "min_price", "max_price", "page_size", "page_token"]);
        const request = create(ListProductsRequestSchema, {
          category: query.string("category"),
          minPriceUnitsMinor: query.integer("min_price"),
          maxPriceUnitsMinor: query.integer("max_price"),
          pageSize: int32(query.integer("page_size")),
          pageToken: query.string("page_token"),
        });
        // The proto's message-level rule would name no field; name the parameter.
        const { minPriceUnitsMinor: min, maxPriceUnitsMinor: max } = request;
        if (min !== undefined && max !== undefined && min > max) {
          throw badField("max_price", "list_products.price_range", "must be greater than or equal to min_price");
        }
        validateMessage(ListProductsRequestSchema, request, listAliases);
        const response = await callBackend(() => catalog.listProducts(request), listAliases);
        sendMessage(ctx, ListProductsResponseSchema, response);
      },
    },
    {
      method: "GET",
      path: "/api/v1/products/{id}",
      authenticated: false,
      async handle(ctx, { params }) {
        expectNoQuery(ctx);
        const request = create(GetProductRequestSchema, { id: params.id });
        validateMessage(GetProductRequestSchema, request);
        const { product } = await callBackend(() => catalog.getProduct(request));
        if (!product) throw new Problem(502, { detail: "catalog answered without a product", code: "internal" });
        sendMessage(ctx, ProductSchema, product);
      },
    },
  ];
}
