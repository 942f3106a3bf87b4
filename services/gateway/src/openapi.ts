// The OpenAPI 3.1 description of the REST API, served at
// GET /api/v1/openapi.json. Written by hand next to the routes; a test holds
// the two to each other (every route documented, every documented path
// routed). Bodies are the protobuf JSON mapping of the messages named in
// each description (lowerCamelCase; int64 as strings; enums by name).
import { pageTokenPatterns } from "@meshmart/platform";
import { maxBodyBytes } from "./json-body.ts";
import { orderStatusNames } from "./order-routes.ts";
import { maxQueryInteger } from "./query.ts";
import { maxStockIds } from "./stock-routes.ts";

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

const json = (description: string, schema: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } },
});

const retryAfter = {
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer", minimum: 1 } },
};

/**
 * Answers every route can give. 408, 431 and the 503 of a full server come
 * from the server before any route runs; their problem has an empty
 * `instance` (408, 431) and a request id of its own.
 */
const common = {
  "400": problem("Invalid request: see `violations` for the fields."),
  "404": problem("Not found (also: no such route)."),
  "405": problem("Method not allowed on this path; see the Allow header."),
  "408": problem("The request's headers or body did not arrive within the server's timeouts."),
  "413": problem(`The declared request body is larger than ${maxBodyBytes} bytes.`),
  "429": { ...problem("Rate limit exceeded for this client."), headers: retryAfter },
  "431": problem("The request line and headers are larger than the server accepts (16 KiB by default), e.g. too many query parameters."),
  "500": problem("Internal error."),
  "503": { ...problem("A backend service is unavailable, or this server is at its connection or request limit; retry later."), headers: retryAfter },
  "504": problem("A backend service did not answer in time."),
};

const authenticated = {
  security: [{ bearer: [] }],
};

const challenge = {
  "WWW-Authenticate": { description: 'Bearer realm="meshmart", with error="invalid_token" for a bad token.', schema: { type: "string" } },
};

/** Routes that need a token. */
const unauthorized = {
  "401": { ...problem("Missing, malformed, badly signed, expired or not yet valid bearer token."), headers: challenge },
};

/** Public routes: no token is fine, a bad one is refused all the same. */
const badToken = {
  "401": { ...problem("A bearer token came and is malformed, badly signed, expired or not yet valid."), headers: challenge },
};

const pathId = (description: string) => ({
  name: "id",
  in: "path",
  required: true,
  description,
  schema: { type: "string", format: "uuid" },
});

const queryParam = (name: string, description: string, schema: object) => ({ name, in: "query", required: false, description, schema });

const pageParams = (max: number, token: { pattern: RegExp; description: string }) => [
  queryParam("page_size", `Maximum number of items (0 or absent: 50; at most ${max}).`, { type: "integer", minimum: 0, maximum: max }),
  queryParam(
    "page_token",
    `\`nextPageToken\` of the previous page (absent or empty for the first page): ${token.description}. ` +
      "Any token of this form is a valid place to continue from, under any filters; any other form is 400.",
    { type: "string", pattern: `^$|${token.pattern.source}` },
  ),
];

const moneySchema = {
  type: "object",
  description: "An amount in minor units of a currency (meshmart.common.v1.Money).",
  properties: {
    currencyCode: { type: "string", pattern: "^[A-Z]{3}$", examples: ["EUR"] },
    unitsMinor: { type: "string", pattern: "^\\d+$", description: "int64 as a string, e.g. \"1999\" for 19.99 EUR." },
  },
};

const timestamp = { type: "string", format: "date-time" };
const int64 = { type: "string", pattern: "^-?\\d+$", description: "int64 as a string." };

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "meshmart gateway",
    version: "1.0.0",
    description:
      "The public REST/JSON API of meshmart. Errors are RFC 9457 problem details (application/problem+json) " +
      "carrying the request id (also in the x-request-id response header). Routes that touch a customer's data " +
      "need a bearer JWT (HS256); the customer is the token's subject. Every client (token subject, else IP) " +
      "is rate limited and answered 429 with Retry-After beyond its limit. Request bodies are at most " +
      `${maxBodyBytes} bytes of application/json.`,
  },
  servers: [{ url: "/" }],
  tags: [{ name: "products" }, { name: "orders" }, { name: "stock" }, { name: "meta" }],
  paths: {
    "/api/v1/products": {
      get: {
        operationId: "listProducts",
        tags: ["products"],
        summary: "List products, ordered by id (meshmart.catalog.v1.ListProductsResponse).",
        parameters: [
          queryParam("category", "Only this category (a lowercase slug).", { type: "string", maxLength: 64, pattern: "^([a-z0-9][a-z0-9-]*)?$" }),
          queryParam("min_price", "Only products priced at least this, in minor units.", { type: "integer", minimum: 0, maximum: maxQueryInteger }),
          queryParam("max_price", "Only products priced at most this, in minor units (below min_price: an empty list).", {
            type: "integer",
            minimum: 0,
            maximum: maxQueryInteger,
          }),
          ...pageParams(500, { pattern: pageTokenPatterns.id, description: "the id of the last product of that page (products are ordered by id)" }),
        ],
        responses: { "200": json("A page of products.", "ListProductsResponse"), ...badToken, ...common },
      },
    },
    "/api/v1/products/{id}": {
      get: {
        operationId: "getProduct",
        tags: ["products"],
        summary: "Get one product (meshmart.catalog.v1.Product).",
        parameters: [pathId("Product id.")],
        responses: { "200": json("The product.", "Product"), ...badToken, "502": problem("catalog answered without a product."), ...common },
      },
    },
    "/api/v1/orders": {
      post: {
        operationId: "placeOrder",
        tags: ["orders"],
        summary: "Place an order for the token's customer (meshmart.gateway.v1.PlaceOrderRequest -> meshmart.orders.v1.Order).",
        description:
          "Idempotent by Idempotency-Key per customer: a retry with the same key returns the order the first call " +
          "created (200) instead of creating another (201). The same key with different items is 409.",
        ...authenticated,
        parameters: [
          {
            name: "Idempotency-Key",
            in: "header",
            required: true,
            description: "Unique per customer and order attempt (a UUID is a good choice); retries must reuse it.",
            schema: { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9._:-]+$" },
          },
        ],
        requestBody: { required: true, ...json("The items to order.", "PlaceOrderRequest") },
        responses: {
          "201": {
            ...json("The order was created (PENDING).", "Order"),
            headers: { Location: { description: "URL of the order.", schema: { type: "string" } } },
          },
          "200": json("Replay: the order an earlier call with this Idempotency-Key created.", "Order"),
          ...unauthorized,
          "403": problem("customer_id in the body is not the token's customer."),
          "409": problem("The Idempotency-Key was used with other items, or a product cannot be ordered."),
          "415": problem("The body is not application/json (UTF-8, not compressed)."),
          "502": problem("orders answered without an order."),
          ...common,
          "413": problem(`The body is larger than ${maxBodyBytes} bytes.`),
        },
      },
      get: {
        operationId: "listOrders",
        tags: ["orders"],
        summary: "List the token's customer's orders, newest first (meshmart.orders.v1.ListOrdersResponse).",
        ...authenticated,
        parameters: [
          queryParam("status", "Only orders in this status (case-insensitive; ORDER_STATUS_ prefix optional).", {
            type: "string",
            enum: [...orderStatusNames],
          }),
          ...pageParams(1000, {
            pattern: pageTokenPatterns.createdAndId,
            description: "the last order of that page as its creation time in milliseconds since 1970, `_`, and its id (orders are newest first)",
          }),
        ],
        responses: { "200": json("A page of orders.", "ListOrdersResponse"), ...unauthorized, ...common },
      },
    },
    "/api/v1/orders/{id}": {
      get: {
        operationId: "getOrder",
        tags: ["orders"],
        summary: "Get one of the token's customer's orders (meshmart.orders.v1.Order).",
        ...authenticated,
        parameters: [pathId("Order id.")],
        responses: { "200": json("The order.", "Order"), ...unauthorized, ...common },
      },
    },
    "/api/v1/orders/{id}:cancel": {
      post: {
        operationId: "cancelOrder",
        tags: ["orders"],
        summary: "Cancel a PENDING order of the token's customer; cancelling a cancelled order returns it unchanged.",
        ...authenticated,
        parameters: [pathId("Order id.")],
        responses: {
          "200": json("The cancelled order.", "Order"),
          ...unauthorized,
          "409": problem("The order is already confirmed."),
          "502": problem("orders answered without an order."),
          ...common,
        },
      },
    },
    "/api/v1/stock": {
      get: {
        operationId: "getStock",
        tags: ["stock"],
        summary: "Stock of products (meshmart.inventory.v1.GetStockResponse); unknown products have all counts 0.",
        parameters: [
          {
            name: "product_id",
            in: "query",
            required: true,
            description: `Product ids, each at most once: repeat the parameter or separate them with commas (at most ${maxStockIds}).`,
            schema: { type: "array", items: { type: "string", format: "uuid" }, minItems: 1, maxItems: maxStockIds, uniqueItems: true },
            style: "form",
            explode: true,
          },
        ],
        responses: { "200": json("One stock per requested product, in request order.", "GetStockResponse"), ...badToken, ...common },
      },
    },
    "/api/v1/openapi.json": {
      get: {
        operationId: "getOpenApi",
        tags: ["meta"],
        summary: "This document.",
        responses: { "200": { description: "The OpenAPI 3.1 description.", content: { "application/json": {} } }, ...badToken, ...common },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "JWT",
        description: "HS256 JWT with sub (the customer), iss, aud and exp; locally from `make token`.",
      },
    },
    schemas: {
      Money: moneySchema,
      Product: {
        type: "object",
        properties: {
          id: { type: "string", format: "uuid" },
          sku: { type: "string" },
          name: { type: "string" },
          description: { type: "string" },
          price: { $ref: "#/components/schemas/Money" },
          category: { type: "string" },
          imageUrls: { type: "array", items: { type: "string", format: "uri" } },
          createTime: timestamp,
          updateTime: timestamp,
        },
      },
      ListProductsResponse: {
        type: "object",
        properties: {
          products: { type: "array", items: { $ref: "#/components/schemas/Product" } },
          nextPageToken: { type: "string", pattern: `^$|${pageTokenPatterns.id.source}`, description: "The page_token of the next page; empty on the last page." },
        },
      },
      PlaceOrderItem: {
        type: "object",
        required: ["productId", "quantity"],
        properties: {
          productId: { type: "string", format: "uuid" },
          quantity: { type: "integer", minimum: 1, maximum: 10000 },
        },
        additionalProperties: false,
      },
      PlaceOrderRequest: {
        type: "object",
        required: ["items"],
        properties: {
          items: {
            type: "array",
            minItems: 1,
            maxItems: 100,
            description: "Each product at most once.",
            items: { $ref: "#/components/schemas/PlaceOrderItem" },
          },
          customerId: {
            description: "Optional (absent, null or empty: the token's customer); must be the token's customer when given.",
            anyOf: [{ type: "string", format: "uuid" }, { type: "string", maxLength: 0 }, { type: "null" }],
          },
        },
        additionalProperties: false,
      },
      OrderItem: {
        type: "object",
        properties: {
          productId: { type: "string", format: "uuid" },
          quantity: { type: "integer" },
          unitPrice: { $ref: "#/components/schemas/Money" },
        },
      },
      Order: {
        type: "object",
        properties: {
          id: { type: "string", format: "uuid" },
          customerId: { type: "string", format: "uuid" },
          status: { type: "string", enum: ["ORDER_STATUS_PENDING", "ORDER_STATUS_CONFIRMED", "ORDER_STATUS_CANCELLED"] },
          items: { type: "array", items: { $ref: "#/components/schemas/OrderItem" } },
          total: { $ref: "#/components/schemas/Money" },
          cancelReason: {
            type: "string",
            enum: [
              "CANCEL_REASON_UNSPECIFIED",
              "CANCEL_REASON_OUT_OF_STOCK",
              "CANCEL_REASON_PAYMENT_DECLINED",
              "CANCEL_REASON_DEADLINE_EXCEEDED",
              "CANCEL_REASON_CUSTOMER_REQUESTED",
            ],
          },
          cancelMessage: { type: "string" },
          idempotencyKey: { type: "string" },
          createTime: timestamp,
          updateTime: timestamp,
          deadline: timestamp,
        },
      },
      ListOrdersResponse: {
        type: "object",
        properties: {
          orders: { type: "array", items: { $ref: "#/components/schemas/Order" } },
          nextPageToken: {
            type: "string",
            pattern: `^$|${pageTokenPatterns.createdAndId.source}`,
            description: "The page_token of the next page; empty on the last page.",
          },
        },
      },
      Stock: {
        type: "object",
        properties: {
          productId: { type: "string", format: "uuid" },
          available: int64,
          reserved: int64,
          sold: int64,
          stocked: int64,
          updateTime: { ...timestamp, description: "Absent when the product has no stock record." },
        },
      },
      GetStockResponse: {
        type: "object",
        properties: { stocks: { type: "array", items: { $ref: "#/components/schemas/Stock" } } },
      },
      FieldViolation: {
        type: "object",
        required: ["field", "rule", "message"],
        properties: {
          field: { type: "string", description: 'Path of the field, query parameter or header, e.g. "items[0].quantity".' },
          rule: { type: "string", description: 'The rule that failed, e.g. "int32.gt".' },
          message: { type: "string" },
        },
      },
      Problem: {
        type: "object",
        description: "RFC 9457 problem details (meshmart.gateway.v1.Problem, plus requestId).",
        required: ["type", "title", "status", "detail", "instance", "code", "requestId"],
        properties: {
          type: { type: "string", description: '"about:blank": the status says what kind of problem it is.' },
          title: { type: "string", description: "The HTTP status phrase." },
          status: { type: "integer" },
          detail: { type: "string" },
          instance: { type: "string", description: "The request path (empty when the server refused the request before reading its path: 408, 431)." },
          code: { type: "string", description: 'The Connect/gRPC code behind the error, e.g. "invalid_argument".' },
          requestId: { type: "string", description: "Same as the x-request-id response header (a fresh id when the server refused the request before any route: 408, 431, a full server's 503)." },
          traceId: { type: "string", description: "W3C trace id of the request." },
          violations: { type: "array", items: { $ref: "#/components/schemas/FieldViolation" } },
        },
      },
    },
  },
} as const;
