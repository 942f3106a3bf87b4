// The pinned cluster tools (scripts/tools/ensure-tool.sh builds and caches
// them), from TypeScript: their paths (@meshmart/infra/tools does the work).
import { ensureTools as ensureToolsOf } from "@meshmart/infra/tools";

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

export { ensureToolScript } from "@meshmart/infra/tools";

/** Makes sure every tool is built (once per machine) and returns name -> path. */
export function ensureTools<T extends ToolName>(names: readonly T[]): Promise<Record<T, string>> {
  return ensureToolsOf(names);
}
