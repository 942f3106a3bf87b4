import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serviceNames } from "@meshmart/topology";
import { meshPolicy } from "./mesh-policy.ts";

describe("meshPolicy", () => {
  it("has namespace-wide STRICT mTLS, deny-by-default, the edge, and per service a VS, DR and AuthorizationPolicy", () => {
    const objects = meshPolicy().map((m) => m.toJSON() as { kind: string; metadata: { name: string }; spec: unknown });
    for (const m of meshPolicy()) (m as unknown as { validate(): void }).validate();
    const names = (kind: string): string[] => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    for (const name of serviceNames) {
      assert.ok(names("VirtualService").includes(name), `VirtualService ${name}`);
      assert.ok(names("DestinationRule").includes(name), `DestinationRule ${name}`);
      assert.ok(names("AuthorizationPolicy").includes(name), `AuthorizationPolicy ${name}`);
    }
    const peer = objects.find((o) => o.kind === "PeerAuthentication");
    assert.deepEqual(peer?.spec, { mtls: { mode: "STRICT" } });
    assert.ok(names("AuthorizationPolicy").includes("deny-by-default"));
    assert.deepEqual(names("Gateway"), ["meshmart-ingress"]);
    assert.deepEqual(names("RequestAuthentication"), ["meshmart-jwt"]);
  });

  it("follows the namespace option", () => {
    const namespaces = new Set(meshPolicy({ namespace: "shop" }).map((m) => (m.toJSON() as { metadata: { namespace: string } }).metadata.namespace));
    assert.deepEqual([...namespaces].sort(), ["istio-ingress", "shop"]);
  });
});
