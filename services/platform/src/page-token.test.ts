// Page tokens: any token of the list's documented form is a place to continue
// from; anything else is an InvalidArgument that names the field.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodePageToken, pageSize, pageTokenPatterns } from "./page-token.ts";

const id = "0b6c4a7e-3c1f-4c55-9d0b-6f8e2a1d9c33";

function invalid(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConnectError);
    assert.equal(err.code, Code.InvalidArgument);
    return err;
  }
  assert.fail("expected InvalidArgument");
}

describe("page tokens", () => {
  it("treats an empty token as the first page", () => {
    assert.equal(decodePageToken("", pageTokenPatterns.id), undefined);
  });

  it("accepts a token of each documented form as the key to continue after", () => {
    assert.equal(decodePageToken(id, pageTokenPatterns.id), id);
    assert.equal(decodePageToken(`1764633600000000_${id}`, pageTokenPatterns.createdAndId), `1764633600000000_${id}`);
    assert.equal(decodePageToken("42", pageTokenPatterns.sequence), "42");
  });

  it("refuses a token of another form, naming the field and the expected form", () => {
    const err = invalid(() => decodePageToken("42", pageTokenPatterns.id, "cursor"));
    assert.match(err.message, /cursor/);
    assert.match(err.message, /expected/);
    invalid(() => decodePageToken(id.toUpperCase(), pageTokenPatterns.id));
    invalid(() => decodePageToken(`${id}\n`, pageTokenPatterns.id));
    invalid(() => decodePageToken(`12345678901234567_${id}`, pageTokenPatterns.createdAndId)); // 17 digits of microseconds: past year 2286
    invalid(() => decodePageToken("-1", pageTokenPatterns.sequence));
    invalid(() => decodePageToken("1".repeat(19), pageTokenPatterns.sequence)); // past a bigint
  });

  it("uses the default page size for 0 and the requested size otherwise", () => {
    assert.equal(pageSize(0), 50);
    assert.equal(pageSize(0, 20), 20);
    assert.equal(pageSize(7), 7);
  });
});
