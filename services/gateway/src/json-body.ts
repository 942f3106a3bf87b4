// Reads a JSON request body with a hard size limit. A declared Content-Length
// over the limit is refused before reading anything; a chunked body is
// refused as soon as it crosses the limit, so a huge body never sits in
// memory. Wrong content types and encodings are refused before reading too.
import type Koa from "koa";
import { Problem } from "./problem.ts";

/** Largest request body the gateway accepts. */
export const maxBodyBytes = 64 * 1024;

export async function readJsonBody(ctx: Koa.Context, limit = maxBodyBytes): Promise<unknown> {
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
  const declared = ctx.get("content-length");
  if (declared && Number(declared) > limit) throw tooLarge(ctx, limit);

  const body = await readAtMost(ctx.req, limit);
  if (!body) throw tooLarge(ctx, limit);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new Problem(400, { detail: "the request body is not valid UTF-8" });
  }
  if (text.trim() === "") throw new Problem(400, { detail: "the request body is empty; a JSON object is expected" });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Problem(400, { detail: `the request body is not valid JSON: ${(err as Error).message}` });
  }
}

/**
 * The body, or undefined once it crosses `limit`: reading stops there (the
 * stream is paused, not destroyed: destroying a request destroys its socket,
 * and the caller would never see our 413).
 */
function readAtMost(req: NodeJS.ReadableStream, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => onError(new Error("the client closed the request before sending all of its body"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

function tooLarge(ctx: Koa.Context, limit: number): Problem {
  return refuse(ctx, 413, `the request body is larger than ${limit} bytes`);
}

/**
 * A problem answered before the body was read. Over HTTP/1.1 the connection
 * is then closed, so that Node does not read (and discard) the rest of a body
 * we refused just to keep the connection alive.
 */
function refuse(ctx: Koa.Context, status: number, detail: string, headers: Record<string, string> = {}): Problem {
  if (ctx.req.httpVersionMajor === 1) headers = { ...headers, Connection: "close" };
  return new Problem(status, { detail, headers });
}
