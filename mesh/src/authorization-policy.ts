// Authorization: deny by default, then allow each workload only the callers it
// really has.
//
// Istio semantics this relies on (security.istio.io/v1 AuthorizationPolicy):
// - A workload with no ALLOW policy accepts everything. A workload with at
//   least one ALLOW policy accepts a request only when one of them matches.
// - An ALLOW policy with an empty spec (`spec: {}`: no selector, no rules)
//   applies to every workload in its namespace and matches nothing. So it
//   switches every workload to "deny unless allowed" without denying what a
//   more specific ALLOW policy permits. (A DENY policy would be wrong here:
//   DENY is evaluated first and would override every ALLOW.)
// - An ALLOW policy with a selector and no rules also matches nothing: that is
//   how a service with no callers at all is written down.
//
// What stays reachable although it is not listed:
// - kubelet probes: the injector rewrites HTTP probes to the sidecar agent's
//   port 15021, which calls the app over localhost inside the pod; that path
//   never crosses the inbound listener where these policies apply. (Postgres
//   and Kafka use exec probes, which run inside the container.)
// - Prometheus: with Istio's metrics merging (on by default) the scrape goes to
//   the agent on port 15020, which fetches the app's /metrics over localhost:
//   also outside the inbound listener. A Prometheus that scrapes :8080 directly
//   through the mesh needs its principal added (MeshmartService's
//   `extraPrincipals`).
// - `kubectl port-forward` connects inside the pod's network namespace to
//   localhost and bypasses the sidecar: operator access, by design.

import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1";
import { callersOf, services, usesKafka, type ServiceDescription, type ServiceName } from "@meshmart/topology";
import type { MeshOptions } from "./mesh-options.ts";
import { principal } from "./principal.ts";

/** Label the platform's workloads are selected by (app.kubernetes.io/name). */
export const nameLabel = "app.kubernetes.io/name";

export const denyByDefaultName = "deny-by-default";

/** The namespace-wide allow-nothing policy: `spec: {}`. */
export function denyByDefault(options: Pick<MeshOptions, "namespace">): AuthorizationPolicy {
  return new AuthorizationPolicy({
    metadata: { name: denyByDefaultName, namespace: options.namespace },
    spec: {},
  });
}

export interface AllowPrincipalsProps {
  readonly name: string;
  readonly namespace: string;
  /** Labels selecting the workload the policy protects. */
  readonly selector: Readonly<Record<string, string>>;
  /** Who may call it. Empty: nobody (the policy then matches nothing). */
  readonly principals: readonly string[];
}

/** ALLOW requests from exactly these principals to the selected workload. */
export function allowPrincipals(props: AllowPrincipalsProps): AuthorizationPolicy {
  const principals = [...new Set(props.principals)].sort();
  return new AuthorizationPolicy({
    metadata: { name: props.name, namespace: props.namespace },
    spec: {
      selector: { matchLabels: { ...props.selector } },
      action: "ALLOW",
      ...(principals.length > 0 ? { rules: [{ from: [{ source: { principals } }] }] } : {}),
    },
  });
}

/** Principals of the services that call `service`, from the topology's `calls`. */
export function callerPrincipals(service: ServiceName, options: Pick<MeshOptions, "namespace" | "trustDomain">): string[] {
  return callersOf(service).map((caller) => principal(options.namespace, caller, options.trustDomain));
}

/** The ingress gateway's identity: the only non-service caller of the gateway service. */
export function ingressPrincipal(options: Pick<MeshOptions, "ingress" | "trustDomain">): string {
  return principal(options.ingress.namespace, options.ingress.serviceAccount, options.trustDomain);
}

/** Who may call a service: its callers by service account, plus the ingress gateway for `gateway`. */
export function allowedPrincipals(service: ServiceDescription, options: MeshOptions, extra: readonly string[] = []): string[] {
  const edge = service.name === "gateway" ? [ingressPrincipal(options)] : [];
  return [...callerPrincipals(service.name, options), ...edge, ...extra];
}

export function serviceAuthorizationPolicy(
  service: ServiceDescription,
  options: MeshOptions,
  extraPrincipals: readonly string[] = [],
): AuthorizationPolicy {
  return allowPrincipals({
    name: service.name,
    namespace: options.namespace,
    selector: { [nameLabel]: service.name },
    principals: allowedPrincipals(service, options, extraPrincipals),
  });
}

/** Services with their own database: the clients Postgres must accept. */
export function databaseClients(): ServiceName[] {
  return Object.values(services)
    .filter((s) => s.database)
    .map((s) => s.name);
}

/** Services that produce, consume or read (for their caches) a topic: the clients Kafka must accept. */
export function kafkaClients(): ServiceName[] {
  return Object.values(services)
    .filter(usesKafka)
    .map((s) => s.name);
}
