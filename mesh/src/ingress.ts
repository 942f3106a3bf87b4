// The edge: an Istio Gateway on the ingress gateway pods (installed by the
// Istio `gateway` Helm chart), a VirtualService that sends everything it
// receives to the gateway service, and JWT validation at the ingress.
//
// JWT: a RequestAuthentication on the ingress gateway pods checks any bearer
// token against the inline JWKS (the token issuer's public keys, which the
// gateway service also holds as JWT_JWKS), issuer and audience; a request
// with an invalid or expired
// token is rejected with 401 at the edge. A request without a token passes:
// which routes need a signed-in user is the gateway service's decision, and it
// still verifies the token itself (`forwardOriginalToken` keeps the header).
// The RequestAuthentication must live in the ingress gateway's namespace,
// because it selects workloads in its own namespace only.

import { Gateway, VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1";
import { RequestAuthentication } from "@kubernetes-models/istio/security.istio.io/v1";
import { services } from "@meshmart/topology";
import { seconds } from "./duration.ts";
import { serviceHost } from "./host.ts";
import type { MeshOptions } from "./mesh-options.ts";

export const ingressVirtualServiceName = "gateway-ingress";
export const requestAuthenticationName = "meshmart-jwt";

export function ingressGateway(options: MeshOptions): Gateway {
  const ingress = options.ingress;
  return new Gateway({
    metadata: { name: ingress.gatewayName, namespace: options.namespace },
    spec: {
      selector: { ...ingress.selector },
      servers: [{ port: { number: ingress.port, name: "http", protocol: "HTTP" }, hosts: [...ingress.hosts] }],
    },
  });
}

/** Everything the ingress receives goes to the gateway service, with its timeout and no retries. */
export function ingressVirtualService(options: MeshOptions): VirtualService {
  const gateway = services.gateway;
  return new VirtualService({
    metadata: { name: ingressVirtualServiceName, namespace: options.namespace },
    spec: {
      hosts: [...options.ingress.hosts],
      gateways: [options.ingress.gatewayName],
      http: [
        {
          name: "gateway",
          route: [{ destination: { host: serviceHost(gateway.name, options.namespace), port: { number: options.servicePort } } }],
          timeout: seconds(gateway.timeoutMs),
          retries: { attempts: 0 },
        },
      ],
    },
  });
}

export function ingressRequestAuthentication(options: MeshOptions): RequestAuthentication {
  const { jwt, ingress } = options;
  return new RequestAuthentication({
    metadata: { name: requestAuthenticationName, namespace: ingress.namespace },
    spec: {
      selector: { matchLabels: { ...ingress.selector } },
      jwtRules: [
        {
          issuer: jwt.issuer,
          audiences: [jwt.audience],
          jwks: jwt.jwks,
          fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
          forwardOriginalToken: true,
        },
      ],
    },
  });
}
