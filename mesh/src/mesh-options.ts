// Every knob of the mesh policy in one props object with defaults, so that each
// percentage and timeout Istio would otherwise default silently is written out
// explicitly in the generated resources (and asserted by the policy tests).

import { callPolicy, clusterPort } from "@meshmart/topology";

export interface RetryOptions {
  /** Retries after the first try, only on routes for RPCs marked safe to retry. */
  readonly attempts: number;
  /** Envoy retry conditions. The default is the set the design names. */
  readonly retryOn: string;
}

export interface ConnectionPoolOptions {
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  readonly http1MaxPendingRequests: number;
  readonly http2MaxRequests: number;
  /** 0 means unlimited requests on one (HTTP/2) connection. */
  readonly maxRequestsPerConnection: number;
  /** Concurrent retries the whole cluster may have outstanding. */
  readonly maxRetries: number;
  readonly idleTimeoutMs: number;
}

export interface OutlierDetectionOptions {
  readonly consecutive5xxErrors: number;
  readonly consecutiveGatewayErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  /** Outlier detection stays on while at least this share of hosts is healthy (0: always). */
  readonly minHealthPercent: number;
}

export interface IngressOptions {
  /** Namespace the Istio ingress gateway (Helm chart `gateway`) runs in. */
  readonly namespace: string;
  /** Its service account: the principal the gateway service accepts calls from. */
  readonly serviceAccount: string;
  /** Labels of the ingress gateway pods, for the Gateway and RequestAuthentication selectors. */
  readonly selector: Readonly<Record<string, string>>;
  /** Host names the ingress answers for. */
  readonly hosts: readonly string[];
  /** Gateway server port (the ingress Service's port 80, NodePort 30080 on kind). */
  readonly port: number;
  /** Name of the Gateway resource (in the platform namespace). */
  readonly gatewayName: string;
}

export interface JwtOptions {
  readonly issuer: string;
  readonly audience: string;
  /**
   * The token issuer's public keys as a JSON Web Key Set (also given to the
   * gateway service as JWT_JWKS). Public keys only: whoever can read the
   * RequestAuthentication must not be able to sign tokens with it.
   */
  readonly jwks: string;
}

export interface MeshOptions {
  readonly namespace: string;
  readonly trustDomain: string;
  readonly servicePort: number;
  readonly retry: RetryOptions;
  readonly connectionPool: ConnectionPoolOptions;
  readonly outlierDetection: OutlierDetectionOptions;
  readonly ingress: IngressOptions;
  readonly jwt: JwtOptions;
}

export type MeshProps = Partial<Omit<MeshOptions, "retry" | "connectionPool" | "outlierDetection" | "ingress" | "jwt">> & {
  readonly retry?: Partial<RetryOptions>;
  readonly connectionPool?: Partial<ConnectionPoolOptions>;
  readonly outlierDetection?: Partial<OutlierDetectionOptions>;
  readonly ingress?: Partial<IngressOptions>;
  readonly jwt?: Partial<JwtOptions>;
};

export const retryOnSafeFailures = "connect-failure,refused-stream,reset,503";

export const defaultMeshOptions: MeshOptions = {
  namespace: "meshmart",
  trustDomain: "cluster.local",
  servicePort: clusterPort,
  retry: { attempts: callPolicy.retryAttempts, retryOn: retryOnSafeFailures },
  connectionPool: {
    maxConnections: 100,
    connectTimeoutMs: 1_000,
    http1MaxPendingRequests: 100,
    http2MaxRequests: 1_000,
    maxRequestsPerConnection: 0,
    maxRetries: 10,
    idleTimeoutMs: 60_000,
  },
  outlierDetection: {
    consecutive5xxErrors: callPolicy.consecutive5xxErrors,
    consecutiveGatewayErrors: 3,
    intervalMs: callPolicy.outlierIntervalMs,
    baseEjectionTimeMs: callPolicy.baseEjectionTimeMs,
    maxEjectionPercent: 50,
    minHealthPercent: 0,
  },
  ingress: {
    namespace: "istio-ingress",
    serviceAccount: "istio-ingressgateway",
    selector: { istio: "ingressgateway" },
    hosts: ["*"],
    port: 80,
    gatewayName: "meshmart-ingress",
  },
  jwt: {
    issuer: "meshmart",
    audience: "meshmart-api",
    // No usable default: the issuer's key pair is made per installation (services/dev-identity/src/signing-key.ts).
    jwks: '{"keys":[]}',
  },
};

/** Fills every option a caller left out from `defaultMeshOptions`. */
export function meshOptions(props: MeshProps = {}): MeshOptions {
  const d = defaultMeshOptions;
  return {
    namespace: props.namespace ?? d.namespace,
    trustDomain: props.trustDomain ?? d.trustDomain,
    servicePort: props.servicePort ?? d.servicePort,
    retry: { ...d.retry, ...props.retry },
    connectionPool: { ...d.connectionPool, ...props.connectionPool },
    outlierDetection: { ...d.outlierDetection, ...props.outlierDetection },
    ingress: { ...d.ingress, ...props.ingress },
    jwt: { ...d.jwt, ...props.jwt },
  };
}
