// Query parameters of REST reads. Unknown parameters are refused rather than
// ignored, so that a misspelt filter ("pageSize") is a 400 and not a silently
// unfiltered list.
import type Koa from "koa";
import { badField, Problem } from "./problem.ts";

/** The largest integer a query parameter takes (2^53 - 1). */
export const maxQueryInteger = Number.MAX_SAFE_INTEGER;

export class Query {
  private readonly params: URLSearchParams;

  constructor(ctx: Koa.Context, allowed: readonly string[]) {
    this.params = new URLSearchParams(ctx.querystring);
    const unknown = [...new Set(this.params.keys())].filter((name) => !allowed.includes(name));
    if (unknown.length > 0) {
      const expected = allowed.length > 0 ? `; expected ${allowed.join(", ")}` : "; this route takes none";
      throw new Problem(400, {
        detail: `unknown query parameter${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}${expected}`,
        violations: unknown.map((field) => ({ field, rule: "query.known", message: "is not a parameter of this route" })),
      });
    }
  }

  /** The parameter's value, or "" when absent; given twice is a 400. */
  string(name: string): string {
    const values = this.params.getAll(name);
    if (values.length > 1) throw badField(name, "query.single", "must be given at most once");
    return values[0] ?? "";
  }

  /** Every value, also split at commas: `?id=a&id=b` and `?id=a,b` are the same. */
  list(name: string): string[] {
    return this.params
      .getAll(name)
      .flatMap((value) => value.split(","))
      .map((value) => value.trim())
      .filter(Boolean);
  }

  /**
   * A non-negative integer up to maxQueryInteger, or undefined when absent;
   * range rules are the proto's. The bound is the largest integer a JSON
   * number (and so the OpenAPI document) holds exactly.
   */
  integer(name: string): bigint | undefined {
    const value = this.string(name);
    if (value === "") return undefined;
    if (!/^\d{1,16}$/.test(value) || BigInt(value) > BigInt(maxQueryInteger)) {
      throw badField(name, "query.integer", `must be a non-negative integer of at most ${maxQueryInteger}`);
    }
    return BigInt(value);
  }
}

/** An int32 field from a query integer; too large for int32 becomes a value its rule refuses. */
export function int32(value: bigint | undefined): number {
  if (value === undefined) return 0;
  return value > 2_147_483_647n ? 2_147_483_647 : Number(value);
}

/** For routes that take no query parameters: refuses any. */
export function expectNoQuery(ctx: Koa.Context): void {
  new Query(ctx, []);
}
