// Bringing a cluster of cluster-profiles.ts up and down. Up is refused while
// the same cluster runs (it says so and changes nothing); down works after a
// crash too: it stops every recorded process by its pid, removes the pods'
// sandboxes, mounts, cgroups, iptables chains, the bridge and the state, and
// restores the kernel settings the node changed.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { withFileLock } from "@meshmart/infra/file-lock";
import { display, repoRoot } from "@meshmart/infra/paths";
import { isProcessAlive } from "@meshmart/infra/processes";
import { stopClusterExternals } from "./cluster-externals.ts";
import { clusterPaths, nodeAddress, type ClusterProfile } from "./cluster-profiles.ts";
import { controlPlaneTools, startControlPlane, writeClusterFiles, type ControlPlane } from "./control-plane.ts";
import { recordedKubeconfig, recordHostState, removeKubeChains, restoreHostState, unmountBelow } from "./host-state.ts";
import { kubectlFor, type Kubectl } from "./kubectl.ts";
import { isEmptyKubeconfig, kubeconfig, mergeIntoUserKubeconfig, removeFromUserKubeconfig, userKubeconfigPath } from "./kubeconfig.ts";
import { fakeVolumes, kwokNode, startKwok } from "./kwok-nodes.ts";
import { containerdConfig, nodeTools, startRealNode } from "./real-node.ts";
import { isRecordAlive, readRecords, startProcess, stopRecord, waitUntil, type ProcessRecord } from "./supervised-process.ts";
import { ensureTools, type ToolName } from "./tools.ts";

const execFileAsync = promisify(execFile);

export interface ClusterHandle {
  readonly profile: ClusterProfile;
  readonly plane: ControlPlane;
  readonly kubectl: Kubectl;
  /** Only for a real node: `ctr` against its containerd. */
  readonly ctr?: (args: string[]) => Promise<string>;
}

export interface UpOptions {
  readonly log?: (line: string) => void;
  /** kwok nodes to create (fake-node profile only). */
  readonly fakeNodes?: number;
  /** Merge the admin context into the user's kubeconfig (default: for the real node). */
  readonly mergeKubeconfig?: boolean;
}

export type ClusterState =
  | { state: "running"; processes: ProcessRecord[] }
  | { state: "stopped" }
  | { state: "partial"; alive: ProcessRecord[]; dead: ProcessRecord[] };

export async function clusterState(profile: ClusterProfile): Promise<ClusterState> {
  const records = await readRecords(clusterPaths(profile).pids);
  if (records.length === 0) return { state: "stopped" };
  const alive = records.filter(isRecordAlive);
  const dead = records.filter((r) => !isRecordAlive(r));
  if (dead.length === 0) return { state: "running", processes: alive };
  return { state: "partial", alive, dead };
}

/** Names what this machine lacks for the profile, with how to get it; empty when nothing is missing. */
export async function missingPrerequisites(profile: ClusterProfile): Promise<string[]> {
  const missing: string[] = [];
  if (process.platform !== "linux") missing.push(`a Linux host (this is ${process.platform}): use kind instead (make deploy)`);
  if (!profile.realNode) return missing;
  if (process.getuid?.() !== 0) missing.push("root: a real node creates a bridge, iptables rules, mounts and cgroups (run as root, e.g. sudo make cluster-up)");
  const check = await execFileAsync("bash", [path.join(repoRoot, "scripts", "tools", "ensure-packages.sh"), "--check", "cluster", "images"]).then(
    () => "",
    (err: { stderr?: string }) => err.stderr?.trim() ?? "missing Debian packages",
  );
  if (check !== "") missing.push(check.replace(/^ensure-packages: /, ""));
  if (!existsSync("/proc/sys/net/bridge/bridge-nf-call-iptables")) {
    missing.push("bridge netfilter (br_netfilter): run 'modprobe br_netfilter' (Services between pods on one bridge need it)");
  }
  return missing;
}

function handleFor(profile: ClusterProfile, plane: ControlPlane, binary: string): ClusterHandle {
  return { profile, plane, kubectl: kubectlFor(binary, plane.kubeconfigs.admin, profile.context) };
}

/** An already running cluster's handle (its files and a kubectl), or undefined. */
export async function attachCluster(profile: ClusterProfile): Promise<ClusterHandle | undefined> {
  const state = await clusterState(profile);
  if (state.state !== "running") return undefined;
  const files = await writeClusterFiles(profile);
  const tools = await ensureTools(["kubectl"]);
  return handleFor(profile, { profile, ...files, processes: state.processes }, tools.kubectl);
}

export async function clusterUp(profile: ClusterProfile, options: UpOptions = {}): Promise<ClusterHandle> {
  const log = options.log ?? ((line: string) => console.log(`[cluster] ${line}`));
  const paths = clusterPaths(profile);
  return withFileLock(path.join(profile.stateDir, "..", `${profile.name}.lock`), `the ${profile.context} cluster`, async () => {
    const state = await clusterState(profile);
    if (state.state === "running") {
      throw new AlreadyRunning(
        `the ${profile.context} cluster is already running (${state.processes.map((p) => `${p.name} ${p.pid}`).join(", ")}); nothing changed`,
      );
    }
    if (state.state === "partial") {
      throw new Error(
        `the ${profile.context} cluster is partly running (stopped: ${state.dead.map((p) => p.name).join(", ")}); run 'make cluster-down' first`,
      );
    }
    const missing = await missingPrerequisites(profile);
    if (missing.length > 0) throw new Error(`cannot start the ${profile.context} cluster; missing:\n  - ${missing.join("\n  - ")}`);
    const started = Date.now();
    const wanted: ToolName[] = [...controlPlaneTools, ...(profile.realNode ? nodeTools : (["kwok"] as const))];
    const tools = await ensureTools([...new Set(wanted)]);
    if (profile.realNode) await recordHostState(path.join(profile.stateDir, "host-state.json"), userKubeconfigPath());
    let plane: ControlPlane | undefined;
    try {
      plane = await startControlPlane(profile, tools, log);
      const handle = handleFor(profile, plane, tools.kubectl);
      if (profile.realNode) {
        const node = await startRealNode(plane, tools, handle.kubectl, log);
        Object.assign(handle, { ctr: node.ctr });
      } else {
        await startKwok(plane, (tools as Record<"kwok", string>).kwok, profile);
        const count = options.fakeNodes ?? 3;
        const objects = [...Array.from({ length: count }, (_, i) => kwokNode(`${profile.nodeName}-${i}`)), ...fakeVolumes(12, 20, paths.volumes)];
        await handle.kubectl.ok(["apply", "--server-side", "--field-manager=meshmart-cluster", "-f", "-"], {
          input: objects.map((o) => JSON.stringify(o)).join("\n"),
        });
        await waitUntil(
          "the kwok nodes to be Ready",
          async () => {
            const out = await handle.kubectl.ok(["get", "nodes", "-o", 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
            return out.split("\n").filter((s) => s === "True").length >= count;
          },
          { timeoutMs: 60_000 },
        );
        log(`kwok with ${count} fake nodes`);
      }
      if (options.mergeKubeconfig ?? profile.realNode) {
        const { cert, key } = plane.pki.cert("admin");
        const file = await mergeIntoUserKubeconfig(kubeconfig({ name: profile.context, server: plane.server, caCert: plane.pki.caCert, clientCert: cert, clientKey: key }));
        log(`kubeconfig context ${profile.context} added to ${file}`);
      }
      log(`${profile.context} is up in ${((Date.now() - started) / 1000).toFixed(1)} s (API server ${plane.server}${profile.realNode ? `, node ${nodeAddress(profile)}` : ""})`);
      return handle;
    } catch (err) {
      log(`start-up failed; cleaning up what was started (${(err as Error).message.split("\n")[0]})`);
      await teardown(profile, log).catch((cleanupError: Error) => log(`cleanup also failed: ${cleanupError.message}`));
      throw err;
    }
  });
}

export class AlreadyRunning extends Error {}

export async function clusterDown(profile: ClusterProfile, options: { log?: (line: string) => void } = {}): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(`[cluster] ${line}`));
  await withFileLock(path.join(profile.stateDir, "..", `${profile.name}.lock`), `the ${profile.context} cluster`, () => teardown(profile, log));
}

async function stopNamed(records: ProcessRecord[], names: string[], pidsDir: string, log: (line: string) => void): Promise<void> {
  for (const name of names) {
    const record = records.find((r) => r.name === name);
    if (record && (await stopRecord(record, pidsDir))) log(`stopped ${name} (pid ${record.pid})`);
  }
}

/** Every process whose command line names this node's containerd socket (its shims), by pid. */
async function shimPids(socket: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0");
      if (cmdline.some((arg) => arg === socket || arg.startsWith(`${socket}.`)) && cmdline[0]?.includes("containerd-shim")) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function removeCgroups(log: (line: string) => void): Promise<void> {
  const roots: string[] = [];
  for (const controller of await readdir("/sys/fs/cgroup").catch(() => [] as string[])) {
    const dir = path.join("/sys/fs/cgroup", controller, "kubepods");
    if (existsSync(dir)) roots.push(dir);
  }
  if (existsSync("/sys/fs/cgroup/kubepods")) roots.push("/sys/fs/cgroup/kubepods");
  const remove = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (entry.isDirectory()) await remove(path.join(dir, entry.name));
    await rmdir(dir).catch(() => undefined);
  };
  for (const root of roots) await remove(root);
  if (roots.length > 0) log(`removed the kubepods cgroups (${roots.length} hierarchies)`);
}

async function otherKubeletRunning(ours: ProcessRecord[]): Promise<boolean> {
  const ourPids = new Set(ours.map((r) => r.pid));
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || ourPids.has(Number(entry))) continue;
    const exe = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (path.basename(exe.split("\0")[0] ?? "") === "kubelet" && isProcessAlive(Number(entry))) return true;
  }
  return false;
}

async function teardown(profile: ClusterProfile, log: (line: string) => void): Promise<void> {
  const paths = clusterPaths(profile);
  const records = await readRecords(paths.pids);
  const alive = (name: string) => records.some((r) => r.name === name && isRecordAlive(r));
  if (records.length === 0 && !existsSync(profile.stateDir)) {
    log(`the ${profile.context} cluster is not running; nothing to remove`);
    return;
  }
  // No controller recreates, no scheduler places, while the pods go.
  await stopNamed(records, ["kube-controller-manager", "kube-scheduler", "kwok"], paths.pids, log);

  if (profile.realNode) {
    const tools = await ensureTools(["kubectl", "kube-proxy", "crictl"]);
    if (alive("kube-apiserver") && alive("kubelet")) {
      const kubectl = kubectlFor(tools.kubectl, paths.adminKubeconfig, profile.context);
      const result = await kubectl(["delete", "pods", "--all", "--all-namespaces", "--grace-period=2", "--wait=true", "--timeout=60s"], { timeoutMs: 90_000 });
      log(result.status === 0 ? "deleted every pod through the API (kubelet stopped their containers)" : `pod deletion incomplete: ${result.stderr.trim()}`);
    }
    await stopNamed(records, ["kubelet", "coredns"], paths.pids, log);
    // containerd removes the sandboxes (network namespaces, CNI teardown); start it again if it crashed.
    let containerd = records.find((r) => r.name === "containerd" && isRecordAlive(r));
    if (!containerd && existsSync(paths.containerdRoot)) {
      const toml = path.join(paths.config, "containerd.toml");
      if (!existsSync(toml)) await writeFile(toml, containerdConfig({ profile, paths } as ControlPlane));
      containerd = await startProcess({ name: "containerd", command: "containerd", args: ["--config", toml], pidsDir: paths.pids, logsDir: paths.logs });
      await waitUntil("containerd (for cleanup)", async () => existsSync(paths.containerdSocket), { timeoutMs: 20_000, record: containerd, logsDir: paths.logs });
      records.push(containerd);
    }
    if (containerd) {
      const crictl = (args: string[]) => execFileAsync(tools.crictl, ["--runtime-endpoint", `unix://${paths.containerdSocket}`, "--timeout", "30s", ...args]);
      const pods = (await crictl(["pods", "-q"]).catch(() => ({ stdout: "" }))).stdout.split("\n").filter(Boolean);
      for (const pod of pods) {
        await crictl(["stopp", pod]).catch(() => undefined);
        await crictl(["rmp", "--force", pod]).catch(() => undefined);
      }
      if (pods.length > 0) log(`removed ${pods.length} pod sandboxes`);
    }
    await stopNamed(records, ["containerd"], paths.pids, log);
    for (const pid of await shimPids(paths.containerdSocket)) {
      process.kill(pid, "SIGKILL");
      log(`killed leftover containerd shim ${pid}`);
    }
    const proxyConfig = path.join(paths.config, "kube-proxy.yaml");
    await stopNamed(records, ["kube-proxy"], paths.pids, log);
    if (existsSync(proxyConfig)) {
      await execFileAsync(tools["kube-proxy"], ["--cleanup", `--config=${proxyConfig}`]).catch(() => undefined);
      log("kube-proxy --cleanup removed its iptables rules");
    }
  }
  await stopNamed(records, ["kube-apiserver", "etcd"], paths.pids, log);
  // Anything else recorded (older layouts, a half-started component).
  for (const record of await readRecords(paths.pids)) await stopRecord(record, paths.pids);

  if (profile.realNode) {
    await stopClusterExternals(log);
    for (const dir of [paths.kubeletRoot, paths.containerdState, paths.containerdRoot, path.dirname(paths.containerdSocket), path.dirname(paths.containerdRoot)]) {
      const unmounted = await unmountBelow(dir);
      if (unmounted.length > 0) log(`unmounted ${unmounted.length} mounts below ${dir}`);
      await rm(dir, { recursive: true, force: true });
    }
    for (const parent of ["/var/lib/meshmart", "/run/meshmart"]) await rmdir(parent).catch(() => undefined); // only when empty
    await execFileAsync("ip", ["link", "delete", profile.bridge]).then(
      () => log(`deleted bridge ${profile.bridge}`),
      () => undefined,
    );
    await removeCgroups(log);
    if (await otherKubeletRunning(records)) {
      log("another kubelet runs on this machine: its KUBE-* iptables chains are left alone");
    } else {
      const chains = await removeKubeChains();
      if (chains.length > 0) log(`removed ${chains.length} KUBE-* iptables chains`);
    }
    const hostState = path.join(profile.stateDir, "host-state.json");
    const kubeconfigBefore = await recordedKubeconfig(hostState);
    if (await removeFromUserKubeconfig(profile.context)) log(`removed context ${profile.context} from ${userKubeconfigPath()}`);
    if (kubeconfigBefore && !kubeconfigBefore.existed && (await isEmptyKubeconfig(kubeconfigBefore.path))) {
      await rm(kubeconfigBefore.path, { force: true });
      await rmdir(path.dirname(kubeconfigBefore.path)).catch(() => undefined); // only when empty
      log(`removed ${kubeconfigBefore.path}, which the cluster had created`);
    }
    for (const change of await restoreHostState(hostState)) log(change);
  }
  await rm(profile.stateDir, { recursive: true, force: true });
  log(`the ${profile.context} cluster is down; ${display(profile.stateDir)} removed`);
}
