// The whole mesh policy of the platform, derived from the topology table:
// namespace-wide mTLS and deny-by-default, per service a VirtualService,
// DestinationRule and AuthorizationPolicy, and the edge.

import type { Model } from "@kubernetes-models/base";
import { services, serviceNames } from "@meshmart/topology";
import { denyByDefault, serviceAuthorizationPolicy } from "./authorization-policy.ts";
import { serviceDestinationRule } from "./destination-rule.ts";
import { ingressGateway, ingressRequestAuthentication, ingressVirtualService } from "./ingress.ts";
import { meshOptions, type MeshOptions, type MeshProps } from "./mesh-options.ts";
import { strictPeerAuthentication } from "./peer-authentication.ts";
import { serviceVirtualService } from "./virtual-service.ts";

export interface ServiceMeshPolicy {
  readonly virtualService: Model<unknown>;
  readonly destinationRule: Model<unknown>;
  readonly authorizationPolicy: Model<unknown>;
}

/** VirtualService, DestinationRule and AuthorizationPolicy of every service, by name. */
export function servicePolicies(options: MeshOptions): Record<string, ServiceMeshPolicy> {
  return Object.fromEntries(
    serviceNames.map((name) => {
      const service = services[name];
      return [
        name,
        {
          virtualService: serviceVirtualService(service, options),
          destinationRule: serviceDestinationRule(service, options),
          authorizationPolicy: serviceAuthorizationPolicy(service, options),
        },
      ];
    }),
  );
}

/** Namespace-wide policy and the edge (not tied to one service). */
export function platformPolicies(options: MeshOptions): Model<unknown>[] {
  return [
    strictPeerAuthentication(options),
    denyByDefault(options),
    ingressGateway(options),
    ingressVirtualService(options),
    ingressRequestAuthentication(options),
  ];
}

/** Every mesh resource, in a stable order. */
export function meshPolicy(props: MeshProps = {}): Model<unknown>[] {
  const options = meshOptions(props);
  const perService = Object.values(servicePolicies(options)).flatMap((p) => [p.virtualService, p.destinationRule, p.authorizationPolicy]);
  return [...platformPolicies(options), ...perService];
}
