// Products: public reads of the catalog, through the product cache when the
// gateway has one (services/platform/src/product-cache.ts).
//   GET /api/v1/products?category=&min_price=&max_price=&page_size=&page_token=
//   GET /api/v1/products/{id}
import { create } from "@bufbuild/protobuf";
import {
  GetProductRequestSchema,
  ListProductsRequestSchema,
  ListProductsResponseSchema,
  ProductSchema,
} from "@meshmart/proto/catalog/v1/catalog_pb";
import type { ProductReads } from "@meshmart/platform";
import { callBackend } from "./backend-errors.ts";
import type { Backends } from "./backends.ts";
import { sendMessage, validateMessage } from "./messages.ts";
import { Problem } from "./problem.ts";
import { expectNoQuery, int32, Query } from "./query.ts";
import type { Route } from "./rest-router.ts";

/** Proto fields of ListProductsRequest as the query parameters that set them. */
const listAliases = { min_price_units_minor: "min_price", max_price_units_minor: "max_price" };

export function productRoutes({ catalog }: Backends, products: ProductReads = catalog): Route[] {
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
        // No price is at least min and at most max: that is an empty list, not an error (the
        // backend's rule refuses such a range; REST callers combine the two filters freely).
        const { minPriceUnitsMinor: min, maxPriceUnitsMinor: max } = request;
        const nothingMatches = min !== undefined && max !== undefined && min > max;
        validateMessage(ListProductsRequestSchema, nothingMatches ? create(ListProductsRequestSchema, { ...request, maxPriceUnitsMinor: undefined }) : request, listAliases);
        if (nothingMatches) {
          sendMessage(ctx, ListProductsResponseSchema, create(ListProductsResponseSchema, {}));
          return;
        }
        const response = await callBackend(() => products.listProducts(request), listAliases);
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
        const { product } = await callBackend(() => products.getProduct(request));
        if (!product) throw new Problem(502, { detail: "catalog answered without a product", code: "internal" });
        sendMessage(ctx, ProductSchema, product);
      },
    },
  ];
}
