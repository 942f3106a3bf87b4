// Mutual TLS is mandatory for every workload in the namespace: a
// namespace-wide PeerAuthentication (no selector) named "default" in STRICT
// mode. Plain-text connections to any pod in the namespace are refused.

import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1";
import type { MeshOptions } from "./mesh-options.ts";

export function strictPeerAuthentication(options: Pick<MeshOptions, "namespace">): PeerAuthentication {
  return new PeerAuthentication({
    metadata: { name: "default", namespace: options.namespace },
    spec: { mtls: { mode: "STRICT" } },
  });
}
