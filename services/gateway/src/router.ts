// A small route table: method plus a path template ("/api/v1/orders/{id}"),
// which is also how the OpenAPI document names paths, so the two can be
// compared. Matching tells a wrong method (405, with Allow) from an unknown
// path (404).
import type Koa from "koa";
import type { Identity } from "./jwt.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  /** The verified caller; always set on routes that require authentication. */
  readonly identity?: Identity;
}

export interface Route {
  readonly method: Method;
  /** Path template; `{name}` matches one segment (up to a "/" or ":"). */
  readonly path: string;
  /** Needs a valid bearer token. */
  readonly authenticated: boolean;
  readonly handle: (ctx: Koa.Context, request: RouteRequest) => Promise<void>;
}

export type Match =
  | { readonly kind: "route"; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly string[] }
  | { readonly kind: "not-found" };

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(readonly routes: readonly Route[]) {
    this.compiled = routes.map((route) => compile(route));
  }

  /** Throws URIError when a path parameter is not valid percent-encoding. */
  match(method: string, path: string): Match {
    const allowed: string[] = [];
    for (const { route, pattern, names } of this.compiled) {
      const found = pattern.exec(path);
      if (!found) continue;
      // HEAD is answered like GET (Koa drops the body).
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        const params: Record<string, string> = {};
        names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1]!)));
        return { kind: "route", route, params };
      }
      allowed.push(route.method, ...(route.method === "GET" ? ["HEAD"] : []));
    }
    return allowed.length > 0 ? { kind: "method-not-allowed", allowed: [...new Set(allowed)] } : { kind: "not-found" };
  }
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split(/(\{[a-zA-Z_]+\})/)
    .map((part) => {
      const param = /^\{([a-zA-Z_]+)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(param[1]!);
      return "([^/:]+)";
    })
    .join("");
  return { route, pattern: new RegExp(`^${source}$`), names };
}
