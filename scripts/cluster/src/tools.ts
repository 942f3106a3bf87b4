// The pinned cluster tools (scripts/tools/ensure-tool.sh builds and caches
// them): their names; building and finding them is @meshmart/infra's ensureTools.
import { ensureTools as ensureAnyTools } from "@meshmart/infra/tools";

export { ensureToolScript } from "@meshmart/infra/tools";

export type ToolName =
  | "etcd"
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "kubelet"
  | "kube-proxy"
  | "kubectl"
  | "kwok"
  | "coredns"
  | "crictl"
  | "kube-score"
  | "istioctl"
  | "helm";

/** Makes sure every tool is built (once per machine) and returns name -> path. */
export function ensureTools<T extends ToolName>(names: readonly T[]): Promise<Record<T, string>> {
  return ensureAnyTools(names);
}
