// Istio's CustomResourceDefinitions, taken from istioctl (the charts it
// carries, rendered by `istioctl manifest generate`): never a copy kept by
// hand. For clusters without an Istio control plane (the local cluster of
// `make cluster-up`, or the API-server checks): the VirtualServices,
// DestinationRules and policies are then stored and validated by the API
// server, and act on nothing until an istiod and sidecars exist.
//
//   tsx scripts/cluster/src/deploy/istio-crds.ts --context <ctx> [--ingress-namespace istio-ingress]
import { execFile } from "node:child_process";
import { parseArgs } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { kubectlFor, type Kubectl } from "../kubectl.ts";
import { applyCrds } from "./apply-crds.ts";
import { userKubeconfigPath } from "../kubeconfig.ts";
import { ensureTools } from "../tools.ts";

export async function istioCrds(): Promise<object[]> {
  const { istioctl } = await ensureTools(["istioctl"]);
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(istioctl, ["manifest", "generate", "--set", "profile=minimal"], { maxBuffer: 64 * 1024 * 1024 }, (err, out, stderr) =>
      err ? reject(new Error(`istioctl manifest generate failed: ${stderr || err.message}`)) : resolve(out),
    ),
  );
  const crds = parseAllDocuments(stdout)
    .map((d) => d.toJSON() as { kind?: string } | null)
    .filter((d): d is { kind: string } => d?.kind === "CustomResourceDefinition");
  if (crds.length === 0) throw new Error("istioctl manifest generate printed no CustomResourceDefinition");
  return crds;
}

/** Applies Istio's CRDs, waits until the API server serves them; returns how many. */
export async function installIstioCrds(kubectl: Kubectl): Promise<number> {
  return applyCrds(kubectl, await istioCrds(), "istioctl-manifests", ["crd", "--all"]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { context: { type: "string" }, "ingress-namespace": { type: "string", default: "istio-ingress" } } });
  if (!values.context) {
    console.error("istio-crds: --context is required");
    process.exit(2);
  }
  try {
    const { kubectl: binary } = await ensureTools(["kubectl"]);
    const kubectl = kubectlFor(binary, userKubeconfigPath(), values.context);
    const count = await installIstioCrds(kubectl);
    // The ingress's RequestAuthentication lives in the ingress gateway's namespace.
    await kubectl.ok(["apply", "--server-side", "--field-manager=meshmart-deploy", "-f", "-"], {
      input: stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: values["ingress-namespace"] } }),
    });
    console.log(`    ${count} Istio CRDs applied (istioctl manifest generate); namespace ${values["ingress-namespace"]} exists`);
  } catch (err) {
    console.error(`istio-crds: ${(err as Error).message}`);
    process.exit(1);
  }
}
