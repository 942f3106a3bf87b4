import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keysetPage, SqlConditions } from "./sql-conditions.ts";

describe("SqlConditions", () => {
  it("is empty with no condition, and numbers a later parameter $1", () => {
    const conditions = new SqlConditions();
    assert.equal(conditions.where, "");
    assert.equal(conditions.param(11), "$1");
    assert.deepEqual(conditions.values, [11]);
  });

  it("numbers the placeholders of every condition in order, parameters after them too", () => {
    const conditions = new SqlConditions()
      .add("category = ?", "books")
      .add("(created_at, id) < (?, ?::uuid)", 1700, "0b0e8ba7-0000-4000-8000-000000000000")
      .add("id > ?", "a");
    const limit = conditions.param(51);
    assert.equal(conditions.where, "WHERE category = $1 AND (created_at, id) < ($2, $3::uuid) AND id > $4");
    assert.equal(limit, "$5");
    assert.deepEqual(conditions.values, ["books", 1700, "0b0e8ba7-0000-4000-8000-000000000000", "a", 51]);
  });

  it("refuses a condition whose placeholders and parameters do not match", () => {
    assert.throws(() => new SqlConditions().add("a = ? AND b = ?", 1), /2 placeholder\(s\) for 1 parameter/);
    assert.throws(() => new SqlConditions().add("a = 1", 1), /0 placeholder\(s\) for 1 parameter/);
  });
});

describe("keysetPage", () => {
  it("keeps the first limit rows and says whether the extra row came", () => {
    assert.deepEqual(keysetPage([1, 2, 3], 2), { page: [1, 2], more: true });
    assert.deepEqual(keysetPage([1, 2], 2), { page: [1, 2], more: false });
    assert.deepEqual(keysetPage([], 2), { page: [], more: false });
  });
});
