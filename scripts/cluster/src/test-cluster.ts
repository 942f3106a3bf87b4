// Test support: the API-server-only cluster (control plane + kwok) for a test
// file, started before its tests and removed after them, plus the Istio CRDs
// taken from istioctl's own manifests (scripts/cluster/src/deploy/istio-crds.ts). The checks run against a real
// kube-apiserver: admission, defaulting, CEL rules of the CRDs, controllers.
import { installIstioCrds as installIstioCrdsWith } from "./deploy/istio-crds.ts";
import { installPrometheusOperatorCrds } from "./deploy/prometheus-operator-crds.ts";
import { clusterProfiles } from "./cluster-profiles.ts";
import { clusterDown, clusterState, clusterUp, type ClusterHandle } from "./cluster.ts";

export const apiServerProfile = clusterProfiles["apiserver-test"];

/** Starts the API-server test cluster (removing one a crashed run left behind) and returns it. */
export async function startApiServerCluster(log: (line: string) => void = (l) => console.log(`[apiserver] ${l}`)): Promise<ClusterHandle> {
  if ((await clusterState(apiServerProfile)).state !== "stopped") await clusterDown(apiServerProfile, { log });
  return clusterUp(apiServerProfile, { log, fakeNodes: 3, mergeKubeconfig: false });
}

export async function stopApiServerCluster(log: (line: string) => void = (l) => console.log(`[apiserver] ${l}`)): Promise<void> {
  await clusterDown(apiServerProfile, { log });
}

/** Applies Istio's CRDs (from istioctl) to the test cluster. */
export function installIstioCrds(cluster: ClusterHandle): Promise<number> {
  return installIstioCrdsWith(cluster.kubectl);
}

/** Applies the prometheus-operator CRDs (PrometheusRule, PodMonitor) from its pinned Go module. */
export function installMonitoringCrds(cluster: ClusterHandle): Promise<number> {
  return installPrometheusOperatorCrds(cluster.kubectl);
}
