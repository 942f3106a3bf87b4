import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { customerIdFor } from "./customer-id.ts";

describe("customerIdFor", () => {
  it("keeps a UUID subject and maps any other subject to a stable UUID", () => {
    assert.equal(customerIdFor("6F9619FF-8B86-4D11-B42D-00C04FC964FF"), "6f9619ff-8b86-4d11-b42d-00c04fc964ff");
    const id = customerIdFor("customer-1");
    // Pinned: changing the namespace or the algorithm would re-key every customer's orders.
    assert.equal(id, "01e5f56d-3a11-5b50-8aad-44d81314d5ce");
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(customerIdFor("customer-1"), id);
    assert.notEqual(customerIdFor("customer-2"), id);
  });
});
