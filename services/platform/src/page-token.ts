// Page tokens for keyset pagination: the sort key of the last item of the
// previous page, in a form each list documents with a pattern. Any token of
// that form is a valid place to continue from — under any filters, since the
// key alone says where the next page starts — so a client (or a fuzzer) that
// sends one gets a page, and one of any other form is an InvalidArgument.
// Tokens are not secrets: they name an item the caller was already shown.
import { invalidArgument } from "./errors.ts";

const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** The forms of page tokens, by what the list is ordered by. */
export const pageTokenPatterns = {
  /** Ordered by id: the id of the last item. */
  id: new RegExp(`^${uuid}$`),
  /** Newest first: the last item's creation time (microseconds since 1970, at most 16 digits), "_", its id. */
  createdAndId: new RegExp(`^[0-9]{1,16}_${uuid}$`),
  /** In insertion order: the last item's sequence number. */
  sequence: /^[0-9]{1,18}$/,
} as const;

/** The key to continue after, or undefined for the first page. Throws InvalidArgument on a token of another form. */
export function decodePageToken(token: string, pattern: RegExp, field = "page_token"): string | undefined {
  if (!token) return undefined;
  if (!pattern.test(token)) throw invalidArgument(field, `is not a page token of this list (expected ${pattern.source})`);
  return token;
}

/** Page size from the request: 0 means the default; the proto bounds the maximum. */
export function pageSize(requested: number, fallback = 50): number {
  return requested > 0 ? requested : fallback;
}
