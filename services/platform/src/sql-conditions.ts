// The WHERE clause of a listing query, built from whichever filters a request set. Each condition writes its
// parameters as `?`; they are numbered $1, $2, ... in the order added, so no store counts placeholders by hand.
// (A condition cannot use PostgreSQL's jsonb `?` operator through this; none of the listings needs it.)

export class SqlConditions {
  /** The parameter values, in placeholder order: the query's second argument. */
  readonly values: unknown[] = [];
  readonly #clauses: string[] = [];

  /** Adds a condition (ANDed with the others); each `?` in it takes the next of `params`, in order. */
  add(clause: string, ...params: unknown[]): this {
    const parts = clause.split("?");
    if (parts.length - 1 !== params.length) {
      throw new Error(`SqlConditions: "${clause}" has ${parts.length - 1} placeholder(s) for ${params.length} parameter(s)`);
    }
    this.#clauses.push(parts.reduce((sql, part, i) => `${sql}${this.param(params[i - 1])}${part}`));
    return this;
  }

  /** A placeholder for one more parameter outside the conditions (LIMIT, say), numbered after the ones so far. */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** `WHERE a AND b ...`, or "" when no condition was added. */
  get where(): string {
    return this.#clauses.length ? `WHERE ${this.#clauses.join(" AND ")}` : "";
  }
}

/**
 * A page of a keyset listing that fetched `limit + 1` rows: the first `limit` of them, and whether more follow
 * (the extra row says so without a COUNT).
 */
export function keysetPage<Row>(rows: readonly Row[], limit: number): { page: Row[]; more: boolean } {
  return { page: rows.slice(0, limit), more: rows.length > limit };
}
