// JSON request bodies, read by @koa/bodyparser (co-body, raw-body) with a hard
// size limit: a declared Content-Length over the limit is refused before
// anything is read, a chunked body as soon as it crosses the limit (reading
// stops there; raw-body pauses the stream rather than destroying it, so the
// caller sees our 413), so a huge body never sits in memory. The type,
// charset and encoding are checked here before reading: the parser would
// skip a body of another type, decode any charset as UTF-8 and inflate gzip,
// where the API answers 415.
import { bodyParser } from "@koa/bodyparser";
import type Koa from "koa";
import { Problem } from "./problem.ts";

/** Largest request body the gateway accepts. */
export const maxBodyBytes = 64 * 1024;

const parse = bodyParser({
  enableTypes: ["json"],
  jsonLimit: maxBodyBytes,
  // Any JSON value: the route says what it expects (an object).
  jsonStrict: false,
  onError: (err, ctx) => {
    throw parseProblem(err, ctx, maxBodyBytes);
  },
});

/** The request's JSON body, or the problem with it (415, 413, 400). */
export async function readJsonBody(ctx: Koa.Context): Promise<unknown> {
  checkContent(ctx, maxBodyBytes);
  await parse(ctx, async () => {});
  if (ctx.request.rawBody.trim() === "") throw emptyBody();
  return ctx.request.body;
}

function checkContent(ctx: Koa.Context, limit: number): void {
  const type = ctx.get("content-type");
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw refuse(ctx, 415, `the request body must be application/json${type ? ` (got ${type})` : ""}`, { Accept: "application/json" });
  }
  const charset = /;\s*charset="?([^";\s]+)/i.exec(type)?.[1];
  if (charset && charset.toLowerCase() !== "utf-8") {
    throw refuse(ctx, 415, `the request body must be UTF-8 (got charset ${charset})`);
  }
  const encoding = ctx.get("content-encoding");
  if (encoding && encoding.toLowerCase() !== "identity") {
    throw refuse(ctx, 415, `content encoding ${encoding} is not supported`);
  }
  if (Number(ctx.get("content-length") || 0) > limit) throw tooLarge(ctx, limit);
}

/** What co-body and raw-body throw, as the caller's problem: errors of the request are 4xx, others stay errors. */
function parseProblem(err: Error & { status?: unknown; type?: unknown; body?: unknown }, ctx: Koa.Context, limit: number): Error {
  if (err.type === "entity.too.large") return tooLarge(ctx, limit);
  if (err instanceof SyntaxError) {
    return typeof err.body === "string" && err.body.trim() === ""
      ? emptyBody()
      : new Problem(400, { detail: `the request body is not valid JSON: ${err.message}` });
  }
  // The body did not arrive as declared (cut short, aborted, not the declared length).
  if (typeof err.status === "number" && err.status >= 400 && err.status < 500) {
    return new Problem(400, { detail: `the request body could not be read: ${err.message}`, cause: err });
  }
  return err;
}

function emptyBody(): Problem {
  return new Problem(400, { detail: "the request body is empty; a JSON object is expected" });
}

function tooLarge(ctx: Koa.Context, limit: number): Problem {
  return refuse(ctx, 413, `the request body is larger than ${limit} bytes`);
}

/**
 * A problem answered before the body was read (whole). Over HTTP/1.1 the
 * connection is then closed, so that Node does not read (and discard) the
 * rest of a body we refused just to keep the connection alive.
 */
function refuse(ctx: Koa.Context, status: number, detail: string, headers: Record<string, string> = {}): Problem {
  if (ctx.req.httpVersionMajor === 1) headers = { ...headers, Connection: "close" };
  return new Problem(status, { detail, headers });
}
