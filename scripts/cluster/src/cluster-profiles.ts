// The two clusters the scripts bring up on this machine, each with its own
// ports, address ranges and state directory, so that both can run at once:
//
//  - "local": `make cluster-up`, a single real node (containerd, kubelet, CNI
//    bridge, kube-proxy, CoreDNS) behind a kubeconfig context meshmart-local;
//  - "apiserver-test": the control plane alone with kwok's fake nodes, which
//    `make test` starts to put the synth and the Helm chart through a real API
//    server; its pods never run.
//
// Addresses come from 198.18.0.0/15, the range reserved for benchmarking
// (RFC 2544): never routed anywhere, unlikely to collide with a real network.
import path from "node:path";
import { localRoot } from "@meshmart/infra/paths";

export interface ClusterProfile {
  readonly name: "local" | "apiserver-test";
  /** kubeconfig context (and cluster and user) name. */
  readonly context: string;
  readonly nodeName: string;
  /** Whether a real node (containerd, kubelet, ...) joins, or kwok fakes the nodes. */
  readonly realNode: boolean;
  readonly ports: {
    readonly etcdClient: number;
    readonly etcdPeer: number;
    readonly apiserver: number;
    readonly controllerManager: number;
    readonly scheduler: number;
    readonly kubelet: number;
    readonly kubeletHealthz: number;
    readonly proxyHealthz: number;
    readonly proxyMetrics: number;
    readonly dnsHealth: number;
    readonly kwokServer: number;
  };
  /** The pod network; its first address is the bridge's (the node IP). */
  readonly podCidr: string;
  readonly serviceCidr: string;
  /** Linux bridge of the pod network (real node only). */
  readonly bridge: string;
  readonly stateDir: string;
}

export const clusterProfiles = {
  local: {
    name: "local",
    context: "meshmart-local",
    nodeName: "meshmart-local",
    realNode: true,
    ports: {
      etcdClient: 23790,
      etcdPeer: 23800,
      apiserver: 26443,
      controllerManager: 26257,
      scheduler: 26259,
      kubelet: 26250,
      kubeletHealthz: 26248,
      proxyHealthz: 26256,
      proxyMetrics: 26249,
      dnsHealth: 26281,
      kwokServer: 26290,
    },
    podCidr: "198.18.0.0/24",
    serviceCidr: "198.19.0.0/24",
    bridge: "mm-br0",
    stateDir: path.join(localRoot, "cluster", "local"),
  },
  "apiserver-test": {
    name: "apiserver-test",
    context: "meshmart-apiserver-test",
    nodeName: "kwok-node",
    realNode: false,
    ports: {
      etcdClient: 24790,
      etcdPeer: 24800,
      apiserver: 27443,
      controllerManager: 27257,
      scheduler: 27259,
      kubelet: 27250,
      kubeletHealthz: 27248,
      proxyHealthz: 27256,
      proxyMetrics: 27249,
      dnsHealth: 27281,
      kwokServer: 27290,
    },
    podCidr: "198.18.128.0/24",
    serviceCidr: "198.19.128.0/24",
    bridge: "mm-br-test",
    stateDir: path.join(localRoot, "cluster", "apiserver-test"),
  },
} as const satisfies Record<string, ClusterProfile>;

export type ClusterProfileName = keyof typeof clusterProfiles;

/** a.b.c.d/n -> the address `offset` above the network address. */
export function addressIn(cidr: string, offset: number): string {
  const [base, bits] = cidr.split("/");
  const parts = base!.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255) || bits === undefined) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const value = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const next = (value + offset) >>> 0;
  return [next >>> 24, (next >>> 16) & 255, (next >>> 8) & 255, next & 255].join(".");
}

/** The node's address: the pod bridge's gateway, where host processes (CoreDNS, kubelet) listen for pods. */
export const nodeAddress = (profile: ClusterProfile): string => addressIn(profile.podCidr, 1);
/** The `kubernetes` Service's ClusterIP (the first of the range). */
export const apiServiceAddress = (profile: ClusterProfile): string => addressIn(profile.serviceCidr, 1);
/** kube-dns's ClusterIP. */
export const dnsServiceAddress = (profile: ClusterProfile): string => addressIn(profile.serviceCidr, 10);

export const clusterDomain = "cluster.local";

export interface ClusterPaths {
  readonly pki: string;
  readonly kubeconfigs: string;
  readonly logs: string;
  readonly pids: string;
  readonly etcdData: string;
  readonly config: string;
  /** The admin kubeconfig (context = profile.context). */
  readonly adminKubeconfig: string;
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdSocket: string;
  readonly kubeletRoot: string;
  readonly cniConfDir: string;
  readonly cniDataDir: string;
  readonly volumes: string;
}

export function clusterPaths(profile: ClusterProfile): ClusterPaths {
  const dir = profile.stateDir;
  // containerd's and kubelet's own state is kept out of the repository: they
  // create root-owned mounts and sockets, and unix socket paths are limited to
  // 108 bytes.
  const system = `/var/lib/meshmart/${profile.name}`;
  const run = `/run/meshmart/${profile.name}`;
  return {
    pki: path.join(dir, "pki"),
    kubeconfigs: path.join(dir, "kubeconfigs"),
    logs: path.join(dir, "logs"),
    pids: path.join(dir, "pids"),
    etcdData: path.join(dir, "etcd"),
    config: path.join(dir, "config"),
    adminKubeconfig: path.join(dir, "kubeconfigs", "admin.kubeconfig"),
    containerdRoot: path.join(system, "containerd"),
    containerdState: path.join(run, "containerd"),
    containerdSocket: path.join(run, "containerd.sock"),
    kubeletRoot: path.join(system, "kubelet"),
    cniConfDir: path.join(dir, "cni", "net.d"),
    cniDataDir: path.join(system, "cni"),
    volumes: path.join(system, "volumes"),
  };
}
