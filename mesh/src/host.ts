// Fully-qualified in-cluster host names; Istio resolves short names relative to
// the namespace of the config that mentions them, so the mesh always spells
// hosts out in full.

export const clusterDomain = "svc.cluster.local";

/** `<service>.<namespace>.svc.cluster.local` */
export function serviceHost(service: string, namespace: string): string {
  return `${service}.${namespace}.${clusterDomain}`;
}
