// A Kubernetes control plane of real processes on loopback: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler, built from the
// pinned sources (scripts/tools/ensure-tool.sh). Used by both clusters of
// cluster-profiles.ts.
import https from "node:https";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  apiServiceAddress,
  clusterDomain,
  clusterPaths,
  nodeAddress,
  type ClusterPaths,
  type ClusterProfile,
} from "./cluster-profiles.ts";
import { kubeconfig, writeKubeconfig } from "./kubeconfig.ts";
import { ensurePki, type CertificateRequest, type Pki } from "./pki.ts";
import { startProcess, waitUntil, type ProcessRecord } from "./supervised-process.ts";
import type { ToolName } from "./tools.ts";

export const controlPlaneTools = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"] as const satisfies readonly ToolName[];
export type ControlPlaneTools = Record<(typeof controlPlaneTools)[number], string>;

/** Every identity the cluster's components use. */
export function certificateRequests(profile: ClusterProfile): CertificateRequest[] {
  const node = nodeAddress(profile);
  return [
    {
      name: "apiserver",
      commonName: "kube-apiserver",
      usage: "server",
      altNames: [
        "IP:127.0.0.1",
        `IP:${apiServiceAddress(profile)}`,
        `IP:${node}`,
        "DNS:localhost",
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        `DNS:kubernetes.default.svc.${clusterDomain}`,
      ],
    },
    { name: "apiserver-kubelet-client", commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"], usage: "client" },
    { name: "admin", commonName: "meshmart-admin", organizations: ["system:masters"], usage: "client" },
    { name: "controller-manager", commonName: "system:kube-controller-manager", usage: "client" },
    { name: "scheduler", commonName: "system:kube-scheduler", usage: "client" },
    { name: "kubelet", commonName: `system:node:${profile.nodeName}`, organizations: ["system:nodes"], usage: "client" },
    { name: "kubelet-serving", commonName: profile.nodeName, usage: "server", altNames: [`IP:${node}`, `DNS:${profile.nodeName}`, "IP:127.0.0.1"] },
    { name: "kube-proxy", commonName: "system:kube-proxy", usage: "client" },
    { name: "coredns", commonName: "meshmart:coredns", usage: "client" },
  ];
}

export interface ControlPlane {
  readonly profile: ClusterProfile;
  readonly paths: ClusterPaths;
  readonly pki: Pki;
  readonly server: string;
  /** name -> kubeconfig file, for the admin and each component. */
  readonly kubeconfigs: Record<"admin" | "controller-manager" | "scheduler" | "kubelet" | "kube-proxy" | "coredns", string>;
  readonly processes: ProcessRecord[];
}

export async function writeClusterFiles(profile: ClusterProfile): Promise<Pick<ControlPlane, "paths" | "pki" | "server" | "kubeconfigs">> {
  const paths = clusterPaths(profile);
  const pki = await ensurePki(paths.pki, certificateRequests(profile));
  const server = `https://127.0.0.1:${profile.ports.apiserver}`;
  const names = ["admin", "controller-manager", "scheduler", "kubelet", "kube-proxy", "coredns"] as const;
  const entries = await Promise.all(
    names.map(async (name) => {
      const { cert, key } = pki.cert(name);
      const contextName = name === "admin" ? profile.context : `${profile.context}-${name}`;
      const file = path.join(paths.kubeconfigs, `${name}.kubeconfig`);
      await writeKubeconfig(file, kubeconfig({ name: contextName, server, caCert: pki.caCert, clientCert: cert, clientKey: key }));
      return [name, file] as const;
    }),
  );
  return { paths, pki, server, kubeconfigs: Object.fromEntries(entries) as ControlPlane["kubeconfigs"] };
}

/** GET over HTTPS with the admin's client certificate, trusting only the cluster CA; resolves the status code. */
export function httpsStatus(url: string, pki: Pki, verify = true): Promise<number> {
  const { cert, key } = pki.cert("admin");
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca: readFileSync(pki.caCert), cert: readFileSync(cert), key: readFileSync(key), rejectUnauthorized: verify, timeout: 3_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.once("timeout", () => request.destroy(new Error("timeout")));
    request.once("error", reject);
  });
}

async function httpStatus(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  return response.status;
}

/** Starts etcd, the API server, the controller manager and the scheduler, in that order, each once ready. */
export async function startControlPlane(profile: ClusterProfile, tools: ControlPlaneTools, log: (line: string) => void): Promise<ControlPlane> {
  const files = await writeClusterFiles(profile);
  const { paths, pki, kubeconfigs } = files;
  const { ports } = profile;
  const processes: ProcessRecord[] = [];
  const start = async (name: string, command: string, args: string[]) => {
    const record = await startProcess({ name, command, args, pidsDir: paths.pids, logsDir: paths.logs });
    processes.push(record);
    return record;
  };
  await mkdir(path.dirname(paths.etcdData), { recursive: true }); // parents keep the default mode; only the data is private
  await mkdir(paths.etcdData, { recursive: true, mode: 0o700 });

  const etcd = await start("etcd", tools.etcd, [
    `--name=${profile.nodeName}`,
    `--data-dir=${paths.etcdData}`,
    `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-cluster=${profile.nodeName}=http://127.0.0.1:${ports.etcdPeer}`,
    "--listen-metrics-urls=",
    "--log-level=warn",
    // A disposable single-member cluster: small, and quick to compact.
    "--quota-backend-bytes=1073741824",
    "--auto-compaction-retention=1h",
  ]);
  await waitUntil("etcd", async () => (await httpStatus(`http://127.0.0.1:${ports.etcdClient}/health`)) === 200, {
    timeoutMs: 30_000,
    record: etcd,
    logsDir: paths.logs,
  });
  log(`etcd ready on 127.0.0.1:${ports.etcdClient} (pid ${etcd.pid})`);

  const apiserverCert = pki.cert("apiserver");
  const kubeletClient = pki.cert("apiserver-kubelet-client");
  const apiserver = await start("kube-apiserver", tools["kube-apiserver"], [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${ports.apiserver}`,
    // The address the `kubernetes` Service's endpoints name; a loopback one is refused there.
    `--advertise-address=${nodeAddress(profile)}`,
    `--service-cluster-ip-range=${profile.serviceCidr}`,
    `--tls-cert-file=${apiserverCert.cert}`,
    `--tls-private-key-file=${apiserverCert.key}`,
    `--client-ca-file=${pki.caCert}`,
    `--kubelet-client-certificate=${kubeletClient.cert}`,
    `--kubelet-client-key=${kubeletClient.key}`,
    `--kubelet-certificate-authority=${pki.caCert}`,
    "--kubelet-preferred-address-types=InternalIP",
    `--service-account-issuer=https://kubernetes.default.svc.${clusterDomain}`,
    `--service-account-key-file=${pki.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    "--profiling=false",
    "--event-ttl=30m",
    "--v=1",
  ]);
  await waitUntil("kube-apiserver", async () => (await httpsStatus(`https://127.0.0.1:${ports.apiserver}/readyz`, pki)) === 200, {
    timeoutMs: 90_000,
    record: apiserver,
    logsDir: paths.logs,
  });
  log(`kube-apiserver ready on https://127.0.0.1:${ports.apiserver} (pid ${apiserver.pid})`);

  const componentArgs = (kubeconfigFile: string, port: number) => [
    `--kubeconfig=${kubeconfigFile}`,
    `--authentication-kubeconfig=${kubeconfigFile}`,
    `--authorization-kubeconfig=${kubeconfigFile}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    "--leader-elect=false",
    "--profiling=false",
    "--v=1",
  ];
  const controllerManager = await start("kube-controller-manager", tools["kube-controller-manager"], [
    ...componentArgs(kubeconfigs["controller-manager"], ports.controllerManager),
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    "--use-service-account-credentials=true",
    `--service-cluster-ip-range=${profile.serviceCidr}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    // Quick reactions on a one-node cluster.
    "--node-monitor-grace-period=20s",
    "--terminated-pod-gc-threshold=50",
  ]);
  const scheduler = await start("kube-scheduler", tools["kube-scheduler"], componentArgs(kubeconfigs.scheduler, ports.scheduler));
  for (const [record, port] of [
    [controllerManager, ports.controllerManager],
    [scheduler, ports.scheduler],
  ] as const) {
    // Their serving certificates are self-signed; the check only asks whether they are up.
    await waitUntil(record.name, async () => (await httpsStatus(`https://127.0.0.1:${port}/healthz`, pki, false)) === 200, {
      timeoutMs: 60_000,
      record,
      logsDir: paths.logs,
    });
    log(`${record.name} ready (pid ${record.pid})`);
  }
  return { profile, ...files, processes };
}
