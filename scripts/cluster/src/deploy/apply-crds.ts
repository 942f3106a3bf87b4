// Applying CustomResourceDefinitions taken from a tool or a module (Istio's,
// prometheus-operator's): server-side, since their schemas are larger than
// client-side apply's last-applied annotation allows, then waiting until the
// API server serves them.
import { stringify } from "yaml";
import type { Kubectl } from "../kubectl.ts";

/** Applies `crds` as `fieldManager`, waits until `established` ("crd --all", or crd/<name>...) are; returns how many. */
export async function applyCrds(kubectl: Kubectl, crds: readonly object[], fieldManager: string, established: readonly string[]): Promise<number> {
  await kubectl.ok(["apply", "--server-side", `--field-manager=${fieldManager}`, "-f", "-"], { input: crds.map((c) => stringify(c)).join("---\n") });
  await kubectl.ok(["wait", "--for=condition=Established", ...established, "--timeout=60s"]);
  return crds.length;
}
