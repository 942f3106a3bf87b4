import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { derivedKafkaClusterId, derivedSecret } from "./derived-secret.ts";

describe("derivedSecret", () => {
  it("is deterministic per seed and purpose, URL-safe and of the asked length", () => {
    assert.equal(derivedSecret("s", "postgres/catalog"), derivedSecret("s", "postgres/catalog"));
    assert.notEqual(derivedSecret("s", "postgres/catalog"), derivedSecret("s", "postgres/orders"));
    assert.notEqual(derivedSecret("s", "postgres/catalog"), derivedSecret("t", "postgres/catalog"));
    assert.match(derivedSecret("s", "x", 43), /^[A-Za-z0-9_-]{43}$/);
    assert.throws(() => derivedSecret("s", "x", 44));
  });
});

describe("derivedKafkaClusterId", () => {
  it("is 16 bytes in unpadded base64url (22 characters), with UUID v4 bits", () => {
    const id = derivedKafkaClusterId("seed");
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    const bytes = Buffer.from(id, "base64url");
    assert.equal(bytes.length, 16);
    assert.equal(bytes[6]! >> 4, 4);
    assert.equal(bytes[8]! >> 6, 2);
    assert.notEqual(derivedKafkaClusterId("other"), id);
  });
});
