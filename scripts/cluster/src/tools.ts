// The pinned cluster tools (scripts/tools/ensure-tool.sh builds and caches
// them); ensureTools lives in @meshmart/infra/tools with the other tools.
import type { EnsuredTool } from "@meshmart/infra/tools";

export { ensureTools } from "@meshmart/infra/tools";

export type ToolName = Extract<
  EnsuredTool,
  "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kubelet" | "kube-proxy" | "kubectl" | "kwok" | "coredns" | "crictl" | "kube-score" | "istioctl" | "helm"
>;

export { ensureToolScript } from "@meshmart/infra/tools";
