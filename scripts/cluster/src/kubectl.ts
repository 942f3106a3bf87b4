// kubectl from TypeScript, for the cluster scripts and the tests: the
// ecosystem's own client (server-side apply, waits, dry-runs), run with an
// explicit kubeconfig and context so it never touches the wrong cluster.
import { spawn } from "node:child_process";

export interface KubectlResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Kubectl {
  (args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Like the call, but throws with stderr when kubectl fails. */
  ok: (args: readonly string[], options?: { input?: string; timeoutMs?: number }) => Promise<string>;
  readonly kubeconfig: string;
  readonly context: string;
}

export function kubectlFor(binary: string, kubeconfig: string, context: string): Kubectl {
  const call = (args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(binary, [`--kubeconfig=${kubeconfig}`, `--context=${context}`, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
      child.once("error", reject);
      child.once("close", (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
      child.stdin.end(options.input ?? "");
    });
  const kubectl = call as Kubectl;
  kubectl.ok = async (args, options) => {
    const result = await call(args, options);
    if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${result.status}): ${result.stderr.trim() || result.stdout.trim()}`);
    return result.stdout;
  };
  Object.assign(kubectl, { kubeconfig, context });
  return kubectl;
}
