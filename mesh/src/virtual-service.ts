// The VirtualService of one service, from its topology entry: a route for the
// RPCs marked safe to retry (exact Connect/gRPC paths, with retries) and a
// final catch-all route with retries switched off. Both carry the service's
// timeout.
//
// Why `attempts: 0` on the catch-all: a route without a `retries` block is
// not "no retries" in Istio, it gets the mesh default (2 attempts on
// connect-failure, refused-stream, unavailable, cancelled). A non-idempotent
// RPC such as a payment capture must never be replayed by the proxy, so the
// default is switched off explicitly.
//
// Why exact paths rather than a prefix: `/pkg.Service/PlaceOrder` as a prefix
// would also match a later `/pkg.Service/PlaceOrderBatch`, silently making a
// new RPC retryable. Envoy compares the path without the query string, so
// Connect GET requests (`?message=...`) still match.

import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1";
import { perTryTimeoutMs, type ServiceDescription } from "@meshmart/topology";
import { seconds } from "./duration.ts";
import { serviceHost } from "./host.ts";
import type { MeshOptions } from "./mesh-options.ts";

/** The Connect/gRPC path of one method: `/<package>.<Service>/<Method>`. */
export function rpcPath(rpcService: string, method: string): string {
  return `/${rpcService}/${method}`;
}

/** Paths of the RPCs the mesh may retry for a service (empty when it serves no RPC service). */
export function retryablePaths(service: ServiceDescription): string[] {
  const rpcService = service.rpcService;
  if (rpcService === undefined) return [];
  return service.retryableMethods.map((method) => rpcPath(rpcService, method));
}

/** Per-try timeout (shared with the clients' own policy outside the mesh). */
export { perTryTimeoutMs };

export const retryableRouteName = "retryable-rpcs";
export const defaultRouteName = "default";

export function serviceVirtualService(service: ServiceDescription, options: MeshOptions): VirtualService {
  const host = serviceHost(service.name, options.namespace);
  const destination = { host, port: { number: options.servicePort } };
  const timeout = seconds(service.timeoutMs);
  const paths = retryablePaths(service);
  const { attempts, retryOn } = options.retry;

  const retryable =
    paths.length > 0 && attempts > 0
      ? [
          {
            name: retryableRouteName,
            match: paths.map((path) => ({ uri: { exact: path } })),
            route: [{ destination }],
            timeout,
            retries: { attempts, perTryTimeout: seconds(perTryTimeoutMs(service.timeoutMs, attempts)), retryOn },
          },
        ]
      : [];

  return new VirtualService({
    metadata: { name: service.name, namespace: options.namespace },
    spec: {
      hosts: [host],
      http: [
        ...retryable,
        { name: defaultRouteName, route: [{ destination }], timeout, retries: { attempts: 0 } },
      ],
    },
  });
}
