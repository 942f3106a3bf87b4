// The DestinationRule of one service: mutual TLS with Istio certificates,
// connection-pool limits and outlier detection on consecutive 5xx and gateway
// errors, every threshold, interval and percentage written out.

import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1";
import type { ServiceDescription } from "@meshmart/topology";
import { seconds } from "./duration.ts";
import { serviceHost } from "./host.ts";
import type { MeshOptions } from "./mesh-options.ts";

export function serviceDestinationRule(service: ServiceDescription, options: MeshOptions): DestinationRule {
  const pool = options.connectionPool;
  const outlier = options.outlierDetection;
  return new DestinationRule({
    metadata: { name: service.name, namespace: options.namespace },
    spec: {
      host: serviceHost(service.name, options.namespace),
      trafficPolicy: {
        tls: { mode: "ISTIO_MUTUAL" },
        loadBalancer: { simple: "LEAST_REQUEST" },
        connectionPool: {
          tcp: { maxConnections: pool.maxConnections, connectTimeout: seconds(pool.connectTimeoutMs) },
          http: {
            http1MaxPendingRequests: pool.http1MaxPendingRequests,
            http2MaxRequests: pool.http2MaxRequests,
            maxRequestsPerConnection: pool.maxRequestsPerConnection,
            maxRetries: pool.maxRetries,
            idleTimeout: seconds(pool.idleTimeoutMs),
          },
        },
        outlierDetection: {
          consecutive5xxErrors: outlier.consecutive5xxErrors,
          consecutiveGatewayErrors: outlier.consecutiveGatewayErrors,
          interval: seconds(outlier.intervalMs),
          baseEjectionTime: seconds(outlier.baseEjectionTimeMs),
          maxEjectionPercent: outlier.maxEjectionPercent,
          minHealthPercent: outlier.minHealthPercent,
        },
      },
    },
  });
}
