// Opaque page tokens for keyset pagination. A token remembers the last key
// seen and a fingerprint of the filters it was issued for, so that reusing
// it with other filters is an InvalidArgument rather than a wrong page.
import { createHash } from "node:crypto";
import { invalidArgument } from "./errors.ts";

interface TokenBody {
  after: string;
  filters: string;
}

function fingerprint(filters: unknown): string {
  return createHash("sha256").update(JSON.stringify(filters ?? null)).digest("base64url").slice(0, 16);
}

export function encodePageToken(after: string, filters: unknown): string {
  const body: TokenBody = { after, filters: fingerprint(filters) };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** The key to continue after, or undefined for the first page. Throws InvalidArgument on a bad token. */
export function decodePageToken(token: string, filters: unknown, field = "page_token"): string | undefined {
  if (!token) return undefined;
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<TokenBody>;
  } catch {
    throw invalidArgument(field, "is not a page token this service issued");
  }
  if (typeof body.after !== "string" || typeof body.filters !== "string") {
    throw invalidArgument(field, "is not a page token this service issued");
  }
  if (body.filters !== fingerprint(filters)) {
    throw invalidArgument(field, "was issued for different filters");
  }
  return body.after;
}

/** Page size from the request: 0 means the default; the proto bounds the maximum. */
export function pageSize(requested: number, fallback = 50): number {
  return requested > 0 ? requested : fallback;
}
