import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { customerIdFor, uuidV5 } from "./customer-id.ts";

describe("customerIdFor", () => {
  it("computes RFC 9562 version 5 UUIDs", () => {
    // The DNS-namespace example from RFC 9562, appendix A.4.
    assert.equal(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });

  it("keeps a UUID subject and maps any other subject to a stable UUID", () => {
    assert.equal(customerIdFor("6F9619FF-8B86-4D11-B42D-00C04FC964FF"), "6f9619ff-8b86-4d11-b42d-00c04fc964ff");
    const id = customerIdFor("customer-1");
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(customerIdFor("customer-1"), id);
    assert.notEqual(customerIdFor("customer-2"), id);
  });
});
