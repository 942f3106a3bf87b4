// What a real node changes on the host, recorded before it starts so that
// cluster-down can put the machine back exactly as it was: kernel settings
// kubelet and kube-proxy adjust, the host paths kubelet and containerd create
// whatever their configuration says, iptables chains and the pod bridge.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Kernel settings a node may change (kubelet's "kernel tunables", kube-proxy's conntrack and bridge ones). */
export const recordedSysctls = [
  "vm/overcommit_memory",
  "vm/panic_on_oom",
  "kernel/panic",
  "kernel/panic_on_oops",
  "kernel/keys/root_maxkeys",
  "kernel/keys/root_maxbytes",
  "net/ipv4/ip_forward",
  "net/ipv4/conf/all/route_localnet",
  "net/bridge/bridge-nf-call-iptables",
  "net/bridge/bridge-nf-call-ip6tables",
  "net/netfilter/nf_conntrack_max",
  "net/netfilter/nf_conntrack_tcp_timeout_established",
  "net/netfilter/nf_conntrack_tcp_timeout_close_wait",
] as const;

/** Host paths created by kubelet, containerd and the CNI plugins regardless of their configured roots. */
export const implicitHostPaths = [
  "/var/lib/kubelet",
  "/var/lib/cni",
  "/var/log/containers",
  "/var/log/pods",
  "/run/containerd",
  "/etc/cni",
  "/opt/cni",
] as const;

export interface HostState {
  readonly sysctls: Record<string, string>;
  /** The user's kubeconfig (where the context is merged) and whether it existed before. */
  readonly kubeconfig?: { readonly path: string; readonly existed: boolean };
  /** Which of implicitHostPaths existed before the node started. */
  readonly existingPaths: string[];
  readonly recordedAt: string;
}

export async function recordHostState(file: string, kubeconfigPath?: string): Promise<HostState> {
  if (existsSync(file)) return JSON.parse(await readFile(file, "utf8")) as HostState; // the first record wins: it is the machine before us
  const sysctls: Record<string, string> = {};
  for (const key of recordedSysctls) {
    try {
      sysctls[key] = (await readFile(`/proc/sys/${key}`, "utf8")).trim();
    } catch {
      // not on this kernel (e.g. no conntrack module loaded yet)
    }
  }
  const state: HostState = {
    sysctls,
    ...(kubeconfigPath ? { kubeconfig: { path: kubeconfigPath, existed: existsSync(kubeconfigPath) } } : {}),
    existingPaths: implicitHostPaths.filter((p) => existsSync(p)), recordedAt: new Date().toISOString() };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(state, null, 2) + "\n");
  return state;
}

/** Restores the recorded settings and removes the implicit paths the node created; returns what it changed back. */
export async function restoreHostState(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  const state = JSON.parse(await readFile(file, "utf8")) as HostState;
  const changed: string[] = [];
  for (const [key, value] of Object.entries(state.sysctls)) {
    try {
      const now = (await readFile(`/proc/sys/${key}`, "utf8")).trim();
      if (now !== value) {
        await writeFile(`/proc/sys/${key}`, value);
        changed.push(`restored ${key.replaceAll("/", ".")} ${now} -> ${value}`);
      }
    } catch (err) {
      changed.push(`${key.replaceAll("/", ".")}: could not restore (${(err as Error).message})`);
    }
  }
  for (const p of implicitHostPaths) {
    if (state.existingPaths.includes(p) || !existsSync(p)) continue;
    await unmountBelow(p);
    await rm(p, { recursive: true, force: true });
    changed.push(`removed ${p}`);
  }
  await rm(file, { force: true });
  return changed;
}

/** The kubeconfig state recorded before the cluster started, if any. */
export async function recordedKubeconfig(file: string): Promise<HostState["kubeconfig"]> {
  if (!existsSync(file)) return undefined;
  return (JSON.parse(await readFile(file, "utf8")) as HostState).kubeconfig;
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
export async function mountsBelow(dir: string): Promise<string[]> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  const points = info
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .map((p) => p.replace(/\\040/g, " "));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function unmountBelow(dir: string): Promise<string[]> {
  const points = await mountsBelow(dir);
  for (const point of points) {
    try {
      await execFileAsync("umount", [point]);
    } catch {
      await execFileAsync("umount", ["--lazy", point]).catch(() => undefined);
    }
  }
  return points;
}

/** Chains kubelet and kube-proxy create (kube-proxy --cleanup removes its own; these are kubelet's and the leftovers). */
export async function removeKubeChains(): Promise<string[]> {
  const removed: string[] = [];
  for (const tool of ["iptables", "ip6tables"]) {
    for (const table of ["filter", "nat", "mangle"]) {
      let listing: string;
      try {
        listing = (await execFileAsync(tool, ["-w", "-t", table, "-S"])).stdout;
      } catch {
        continue;
      }
      const rules = listing.split("\n");
      // Jumps from built-in chains into KUBE-* chains first, then the chains themselves.
      for (const rule of rules.filter((r) => r.startsWith("-A ") && / -j KUBE-/.test(r) && !/^-A KUBE-/.test(r))) {
        const args = rule.slice(3).match(/(?:[^\s"]+|"[^"]*")+/g)?.map((a) => a.replace(/^"|"$/g, "")) ?? [];
        await execFileAsync(tool, ["-w", "-t", table, "-D", ...args]).catch(() => undefined);
      }
      const chains = rules.filter((r) => r.startsWith("-N KUBE-")).map((r) => r.slice(3).trim());
      for (const chain of chains) await execFileAsync(tool, ["-w", "-t", table, "-F", chain]).catch(() => undefined);
      for (const chain of chains) {
        await execFileAsync(tool, ["-w", "-t", table, "-X", chain]).then(
          () => removed.push(`${tool} -t ${table} ${chain}`),
          () => undefined,
        );
      }
    }
  }
  return removed;
}
