// The pinned tools that scripts/tools/ensure-tool.sh builds from the Go module
// proxy and caches (once per machine), from TypeScript: their paths, with a
// cold build's progress passed through to the caller's stderr.
import { spawn } from "node:child_process";
import path from "node:path";
import { repoRoot } from "./paths.ts";

/**
 * Every tool ensure-tool.sh provides; tools.test.ts holds this list to
 * `bash scripts/tools/ensure-tool.sh --list`, where the versions live.
 */
export const ensuredTools = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubelet",
  "kube-proxy",
  "kubectl",
  "kwok",
  "coredns",
  "crictl",
  "kube-score",
  "istioctl",
  "helm",
  "kind",
  "grpcurl",
  "grpc-health-probe",
  "toxiproxy-server",
  "toxiproxy-cli",
  "prometheus",
  "promtool",
  "jaeger",
  "connectconformance",
  "protoc-gen-connect-openapi",
] as const;

export type EnsuredTool = (typeof ensuredTools)[number];

export const ensureToolScript = path.join(repoRoot, "scripts", "tools", "ensure-tool.sh");

/** Makes sure every tool is built (once per machine) and returns name -> path; rejects with the reason when one cannot be had. */
export async function ensureTools<T extends EnsuredTool>(names: readonly T[]): Promise<Record<T, string>> {
  const child = spawn("bash", [ensureToolScript, ...names], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`could not get ${names.join(", ")}: ${ensureToolScript} exited ${code} (its reason is printed above)`);
  const paths = stdout.trim().split("\n");
  if (paths.length !== names.length) throw new Error(`ensure-tool.sh printed ${paths.length} paths for ${names.length} tools`);
  return Object.fromEntries(names.map((name, i) => [name, paths[i]!])) as Record<T, string>;
}
