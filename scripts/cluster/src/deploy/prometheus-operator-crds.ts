// The prometheus-operator CustomResourceDefinitions the synth's monitoring
// objects need (PrometheusRule, and PodMonitor when it is on), read from the
// pinned Go module of github.com/prometheus-operator/prometheus-operator
// (`go mod download` from the Go module proxy, cached in the Go module
// cache): never a copy kept by hand. For clusters without the operator (the
// local cluster, the API-server checks, a fresh kind): the rules and monitors
// are then stored and validated by the API server, and act on nothing until
// a prometheus-operator runs.
//
//   tsx scripts/cluster/src/deploy/prometheus-operator-crds.ts --context <ctx>
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { kubectlFor, type Kubectl } from "../kubectl.ts";
import { applyCrds } from "./apply-crds.ts";
import { userKubeconfigPath } from "../kubeconfig.ts";
import { ensureTools } from "../tools.ts";

export const prometheusOperatorModule = "github.com/prometheus-operator/prometheus-operator";
/** The newest release the Go module proxy serves (v0.86 and later are refused). */
export const prometheusOperatorVersion = "v0.85.0";
export const monitoringCrdFiles = ["monitoring.coreos.com_prometheusrules.yaml", "monitoring.coreos.com_podmonitors.yaml"] as const;

/** The CRDs, from the module's example/prometheus-operator-crd/ folder. */
export async function prometheusOperatorCrds(): Promise<object[]> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      "go",
      ["mod", "download", "-json", `${prometheusOperatorModule}@${prometheusOperatorVersion}`],
      // Outside any module (a fresh directory), so that no go.mod of the caller is touched.
      { cwd: mkdtempSync(path.join(tmpdir(), "meshmart-gomod-")), env: { ...process.env, GOFLAGS: "-mod=mod" }, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 },
      (err, out, stderr) => (err ? reject(new Error(`go mod download ${prometheusOperatorModule}@${prometheusOperatorVersion} failed: ${stderr || out || err.message}`)) : resolve(out)),
    ),
  );
  const { Dir, Error: error } = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!Dir) throw new Error(`go mod download gave no directory: ${error ?? stdout}`);
  return monitoringCrdFiles.map((file) => {
    const crd = parse(readFileSync(path.join(Dir, "example", "prometheus-operator-crd", file), "utf8")) as { kind?: string };
    if (crd.kind !== "CustomResourceDefinition") throw new Error(`${file} in ${prometheusOperatorModule}@${prometheusOperatorVersion} is not a CustomResourceDefinition`);
    return crd;
  });
}

/** Applies the CRDs and waits until the API server serves them; returns how many. */
export async function installPrometheusOperatorCrds(kubectl: Kubectl): Promise<number> {
  return applyCrds(kubectl, await prometheusOperatorCrds(), "prometheus-operator-crds", [
    "crd/prometheusrules.monitoring.coreos.com",
    "crd/podmonitors.monitoring.coreos.com",
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { context: { type: "string" } } });
  if (!values.context) {
    console.error("prometheus-operator-crds: --context is required");
    process.exit(2);
  }
  try {
    const { kubectl: binary } = await ensureTools(["kubectl"]);
    const count = await installPrometheusOperatorCrds(kubectlFor(binary, userKubeconfigPath(), values.context));
    console.log(`    ${count} prometheus-operator CRDs applied (${prometheusOperatorModule}@${prometheusOperatorVersion})`);
  } catch (err) {
    console.error(`prometheus-operator-crds: ${(err as Error).message}`);
    process.exit(1);
  }
}
