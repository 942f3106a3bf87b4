// The REST routes on @koa/router. A route is a method and a path template as
// google.api.http writes it in gateway.proto ("/api/v1/orders/{id}:cancel");
// a test holds the two to each other. `{name}` matches one segment up to a
// "/" or ":", as in the template syntax, so "/orders/42:cancel" is the cancel
// route and never an order named "42:cancel": the templates become RegExp
// routes (path-to-regexp, @koa/router's own syntax, lets a parameter run
// over ":"). HEAD is answered like GET (the router adds it; Koa drops the
// body). Unknown paths are 404 and a known path with another method 405
// with Allow, both as problems: the router's allowedMethods() would answer
// OPTIONS 200 and an unknown method 501 instead.
import { Router, type RouterContext } from "@koa/router";
import type Koa from "koa";
import { missingToken } from "./authentication.ts";
import type { AccessLogState } from "./access-log.ts";
import type { Identity } from "./jwt.ts";
import { Problem } from "./problem.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  /** The verified caller; always set on routes that require authentication. */
  readonly identity?: Identity;
}

export interface Route {
  readonly method: Method;
  /** Path template of the route's google.api.http option; `{name}` matches one segment (up to a "/" or ":"). */
  readonly path: string;
  /** Needs a valid bearer token. */
  readonly authenticated: boolean;
  readonly handle: (ctx: Koa.Context, request: RouteRequest) => Promise<void>;
}

/** What the edge learnt of the caller before routing (gateway-app.ts). */
export interface RouteState extends AccessLogState {
  identity?: Identity;
}

/** The router's middleware, then the 404/405 of requests no route took. */
export function restRouter(routes: readonly Route[]): Koa.Middleware[] {
  const router = new Router();
  for (const route of routes) {
    const { pattern, names } = compileTemplate(route.path);
    router.register(
      pattern,
      [route.method],
      async (ctx: RouterContext) => {
      const state = ctx.state as RouteState;
      state.route = `${route.method} ${route.path}`;
      if (route.authenticated && !state.identity) throw missingToken();
      // The router decodes leniently (bad percent-encoding stays as it came); the API answers it 400.
      const params = Object.fromEntries(names.map((name, i) => [name, decodeParam(ctx.captures?.[i] ?? "")]));
      await route.handle(ctx, { params, identity: state.identity });
      },
      { pathAsRegExp: true },
    );
  }
  return [router.routes() as Koa.Middleware, noRoute];
}

/** "/api/v1/orders/{id}:cancel" -> /^\/api\/v1\/orders\/([^/:]+):cancel$/ and its parameter names. */
export function compileTemplate(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{[a-zA-Z_][a-zA-Z0-9_]*\})/)
    .map((part) => {
      const param = /^\{([a-zA-Z_][a-zA-Z0-9_]*)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      names.push(param[1]!);
      return "([^/:]+)";
    })
    .join("");
  return { pattern: new RegExp(`^${source}$`), names };
}

function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new Problem(400, { detail: "the path is not valid percent-encoding" });
  }
}

/** Runs when no route took the request: the path matched none (404), or only with other methods (405). */
const noRoute: Koa.Middleware = async (ctx) => {
  const layers = (ctx as unknown as RouterContext).matched ?? [];
  // GET before HEAD, as a reader expects: the router puts the HEAD it adds first.
  const allowed = [...new Set(layers.flatMap((layer) => layer.methods.filter((m) => m !== "HEAD").flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m]))))];
  if (allowed.length === 0) throw new Problem(404, { detail: `no route for ${ctx.path}` });
  throw new Problem(405, {
    detail: `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allowed.join(", ")}`,
    headers: { Allow: allowed.join(", ") },
  });
};
