// Bearer authentication (RFC 6750). A request may come without a token (fine
// for public routes); one that comes with a token must carry a valid one,
// whatever the route, so a bad token is never silently treated as anonymous.
import type Koa from "koa";
import { InvalidTokenError, type Identity } from "./jwt.ts";
import { Problem } from "./problem.ts";

const realm = 'Bearer realm="meshmart"';

export interface Authentication {
  /** The verified caller, when a valid token came. */
  readonly identity?: Identity;
  /** Why the token that came was refused. */
  readonly refused?: Problem;
}

export async function authenticate(ctx: Koa.Context, verify: (token: string) => Promise<Identity>): Promise<Authentication> {
  const header = ctx.get("authorization");
  if (!header) return {};
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) {
    return { refused: unauthorized("the Authorization header must be `Bearer <token>`", realm) };
  }
  try {
    return { identity: await verify(match[1]!) };
  } catch (err) {
    if (!(err instanceof InvalidTokenError)) throw err;
    return { refused: unauthorized(err.message, `${realm}, error="invalid_token", error_description="${err.message}"`) };
  }
}

/** The 401 for a route that needs a token when none came. */
export function missingToken(): Problem {
  return unauthorized("this route needs a bearer token (Authorization: Bearer <token>)", realm);
}

function unauthorized(detail: string, challenge: string): Problem {
  return new Problem(401, { detail, headers: { "WWW-Authenticate": challenge } });
}
