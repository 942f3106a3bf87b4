// The OpenAPI 3.1 description of the REST API, served at
// GET /api/v1/openapi.json: the document protoc-gen-connect-openapi
// generates from gateway.proto (the routes' google.api.http and openapi.v3
// options, gateway.openapi-base.yaml; services/proto/buf.gen.yaml), plus the
// answers every route can give. Those come from the edge and the server
// before or around any route (the body limit, authentication, the rate
// limit, the router, backend failures, the server's timeouts and caps), so
// they are added here to each operation once rather than repeated in every
// route's options. A test holds the routes to the same options.
import generated from "@meshmart/proto/openapi.json" with { type: "json" };

/** Status -> the base document's response (components.responses) every operation can give. */
export const everyRouteAnswers: Readonly<Record<string, string>> = {
  "400": "BadRequest",
  "404": "NotFound",
  "405": "MethodNotAllowed",
  "408": "RequestTimeout",
  "413": "DeclaredBodyTooLarge",
  "429": "TooManyRequests",
  "431": "HeadersTooLarge",
  "500": "InternalError",
  "503": "Unavailable",
  "504": "GatewayTimeout",
};

interface Operation {
  security?: unknown[];
  responses: Record<string, unknown>;
}

const httpMethods = ["get", "put", "post", "delete", "patch"];

function withEveryRouteAnswers<D extends { paths: object }>(document: D): D {
  const copy = structuredClone(document);
  for (const item of Object.values(copy.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!httpMethods.includes(method)) continue;
      // A route that needs a token refuses a missing one; every route refuses a bad one that came.
      const answers = { ...everyRouteAnswers, "401": operation.security?.length ? "Unauthorized" : "BadToken" };
      for (const [status, response] of Object.entries(answers)) {
        operation.responses[status] ??= { $ref: `#/components/responses/${response}` };
      }
    }
  }
  return copy;
}

export const openApiDocument = withEveryRouteAnswers(generated);
