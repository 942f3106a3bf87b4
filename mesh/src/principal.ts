// SPIFFE-style principals Istio puts in a peer certificate: the identity an
// AuthorizationPolicy matches is the caller's Kubernetes service account.

export const defaultTrustDomain = "cluster.local";

/** `cluster.local/ns/<namespace>/sa/<serviceAccount>`, the form AuthorizationPolicy `principals` use. */
export function principal(namespace: string, serviceAccount: string, trustDomain = defaultTrustDomain): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
