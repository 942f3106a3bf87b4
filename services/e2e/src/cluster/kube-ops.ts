// The Kubernetes API calls the kind target makes, one method per call, so that
// a run and a dry run go through the same list: clientNodeOps() makes them
// with @kubernetes/client-node against the current kubeconfig context,
// dryRunOps() (kube-dry-run.ts) answers them from a simulated cluster, and
// loggedOps() prints each call (its client-node API and arguments) as it goes.
import type { Socket } from "node:net";
import { Writable } from "node:stream";
import * as k8s from "@kubernetes/client-node";

export interface PodInfo {
  name: string;
  uid: string;
  ready: boolean;
  terminating: boolean;
  /** Names of its containers, init and sidecar containers included (an Istio sidecar is istio-proxy). */
  containers: string[];
}

export interface WorkloadStatus {
  /** spec.replicas */
  desired: number;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  updatedReplicas: number;
  generation: number;
  observedGeneration: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface DeploymentView {
  name: string;
  status: WorkloadStatus;
  containers: Array<{ name: string; env?: EnvVar[] }>;
}

export type JsonPatch = Array<{ op: "add" | "replace" | "remove" | "test"; path: string; value?: unknown }>;

export interface VirtualServiceView {
  resourceVersion: string;
  http: Array<Record<string, unknown>>;
}

export interface KubeOps {
  readonly context: string;
  readonly namespace: string;
  listPods(labelSelector: string): Promise<PodInfo[]>;
  deletePod(name: string, gracePeriodSeconds: number): Promise<void>;
  listDeployments(labelSelector: string): Promise<DeploymentView[]>;
  readDeployment(name: string): Promise<DeploymentView>;
  patchDeployment(name: string, patch: JsonPatch): Promise<void>;
  readDeploymentScale(name: string): Promise<number>;
  patchDeploymentScale(name: string, replicas: number): Promise<void>;
  readStatefulSet(name: string): Promise<WorkloadStatus>;
  readStatefulSetScale(name: string): Promise<number>;
  patchStatefulSetScale(name: string, replicas: number): Promise<void>;
  readConfigMap(name: string): Promise<Record<string, string>>;
  getVirtualService(name: string): Promise<VirtualServiceView>;
  patchVirtualService(name: string, patch: JsonPatch): Promise<void>;
  /** Runs a command in a container; resolves with its stdout, rejects when it fails. */
  exec(pod: string, container: string, command: string[]): Promise<string>;
  /** Forwards one local connection to a pod's port (not logged: one per connection). */
  portForward(pod: string, port: number, socket: Socket): Promise<void>;
}

const istio = { group: "networking.istio.io", version: "v1", plural: "virtualservices" };
export const scalePatch = (replicas: number): JsonPatch => [{ op: "replace", path: "/spec/replicas", value: replicas }];

/** The client-node call each operation makes, and its arguments, as printed. */
export function describeCall(op: keyof KubeOps, namespace: string, args: unknown[]): string {
  const json = (value: unknown) => JSON.stringify(value);
  const [a, b, c] = args;
  switch (op) {
    case "listPods":
      return `CoreV1Api.listNamespacedPod ${json({ namespace, labelSelector: a })}`;
    case "deletePod":
      return `CoreV1Api.deleteNamespacedPod ${json({ name: a, namespace, gracePeriodSeconds: b })}`;
    case "listDeployments":
      return `AppsV1Api.listNamespacedDeployment ${json({ namespace, labelSelector: a })}`;
    case "readDeployment":
      return `AppsV1Api.readNamespacedDeployment ${json({ name: a, namespace })}`;
    case "patchDeployment":
      return `AppsV1Api.patchNamespacedDeployment ${json({ name: a, namespace, body: b })} (JSON patch)`;
    case "readDeploymentScale":
      return `AppsV1Api.readNamespacedDeploymentScale ${json({ name: a, namespace })}`;
    case "patchDeploymentScale":
      return `AppsV1Api.patchNamespacedDeploymentScale ${json({ name: a, namespace, body: scalePatch(b as number) })} (JSON patch)`;
    case "readStatefulSet":
      return `AppsV1Api.readNamespacedStatefulSet ${json({ name: a, namespace })}`;
    case "readStatefulSetScale":
      return `AppsV1Api.readNamespacedStatefulSetScale ${json({ name: a, namespace })}`;
    case "patchStatefulSetScale":
      return `AppsV1Api.patchNamespacedStatefulSetScale ${json({ name: a, namespace, body: scalePatch(b as number) })} (JSON patch)`;
    case "readConfigMap":
      return `CoreV1Api.readNamespacedConfigMap ${json({ name: a, namespace })}`;
    case "getVirtualService":
      return `CustomObjectsApi.getNamespacedCustomObject ${json({ ...istio, namespace, name: a })}`;
    case "patchVirtualService":
      return `CustomObjectsApi.patchNamespacedCustomObject ${json({ ...istio, namespace, name: a, body: b })} (JSON patch)`;
    case "exec":
      return `Exec.exec ${json({ namespace, pod: a, container: b, command: c })}`;
    default:
      return `${String(op)} ${json(args)}`;
  }
}

/**
 * Prints Kubernetes calls among the steps of a run. Polling repeats the same
 * call: a call already printed since the last step line is not printed again.
 */
export class CallLog {
  private readonly seen = new Set<string>();

  constructor(private readonly print: (line: string) => void) {}

  call(line: string): void {
    if (this.seen.has(line)) return;
    this.seen.add(line);
    this.print(`  k8s ${line}`);
  }

  /** A step line; the calls after it are printed afresh. */
  step(line: string): void {
    this.seen.clear();
    this.print(line);
  }
}

/** Prints every call (through `calls`) before it is made. */
export function loggedOps(inner: KubeOps, calls: CallLog): KubeOps {
  const wrap =
    <K extends keyof KubeOps>(op: K) =>
    (...args: unknown[]) => {
      calls.call(describeCall(op, inner.namespace, args));
      return (inner[op] as (...a: unknown[]) => unknown).apply(inner, args);
    };
  return {
    context: inner.context,
    namespace: inner.namespace,
    listPods: wrap("listPods") as KubeOps["listPods"],
    deletePod: wrap("deletePod") as KubeOps["deletePod"],
    listDeployments: wrap("listDeployments") as KubeOps["listDeployments"],
    readDeployment: wrap("readDeployment") as KubeOps["readDeployment"],
    patchDeployment: wrap("patchDeployment") as KubeOps["patchDeployment"],
    readDeploymentScale: wrap("readDeploymentScale") as KubeOps["readDeploymentScale"],
    patchDeploymentScale: wrap("patchDeploymentScale") as KubeOps["patchDeploymentScale"],
    readStatefulSet: wrap("readStatefulSet") as KubeOps["readStatefulSet"],
    readStatefulSetScale: wrap("readStatefulSetScale") as KubeOps["readStatefulSetScale"],
    patchStatefulSetScale: wrap("patchStatefulSetScale") as KubeOps["patchStatefulSetScale"],
    readConfigMap: wrap("readConfigMap") as KubeOps["readConfigMap"],
    getVirtualService: wrap("getVirtualService") as KubeOps["getVirtualService"],
    patchVirtualService: wrap("patchVirtualService") as KubeOps["patchVirtualService"],
    exec: wrap("exec") as KubeOps["exec"],
    portForward: (pod, port, socket) => inner.portForward(pod, port, socket),
  };
}

function podInfo(pod: k8s.V1Pod): PodInfo {
  return {
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
    ready: (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
    terminating: pod.metadata?.deletionTimestamp !== undefined,
    containers: [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name),
  };
}

function workloadStatus(
  metadata: k8s.V1ObjectMeta | undefined,
  spec: { replicas?: number } | undefined,
  status: k8s.V1DeploymentStatus | k8s.V1StatefulSetStatus | undefined,
): WorkloadStatus {
  const s = (status ?? {}) as Partial<Record<"replicas" | "readyReplicas" | "availableReplicas" | "updatedReplicas" | "observedGeneration", number>>;
  return {
    desired: spec?.replicas ?? 1,
    replicas: s.replicas ?? 0,
    readyReplicas: s.readyReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
    updatedReplicas: s.updatedReplicas ?? 0,
    generation: metadata?.generation ?? 0,
    observedGeneration: s.observedGeneration ?? 0,
  };
}

function deploymentView(d: k8s.V1Deployment): DeploymentView {
  return {
    name: d.metadata?.name ?? "",
    status: workloadStatus(d.metadata, d.spec, d.status),
    containers: (d.spec?.template.spec?.containers ?? []).map((c) => ({ name: c.name, ...(c.env ? { env: c.env } : {}) })),
  };
}

/** An API error as one line: status code and the server's message. */
function apiError(what: string, err: unknown): Error {
  const e = err as { code?: number; body?: unknown; message?: string };
  let message = e.message ?? String(err);
  if (typeof e.body === "string") {
    try {
      message = (JSON.parse(e.body) as { message?: string }).message ?? message;
    } catch {
      message = e.body || message;
    }
  } else if (e.body && typeof e.body === "object" && "message" in e.body) {
    message = String((e.body).message);
  }
  return new Error(`${what} failed${e.code ? ` (HTTP ${e.code})` : ""}: ${message}`, { cause: err });
}

/** The real calls, through @kubernetes/client-node, on the current kubeconfig context. */
export function clientNodeOps(namespace: string, kubeconfig?: k8s.KubeConfig): KubeOps {
  const kc = kubeconfig ?? new k8s.KubeConfig();
  if (!kubeconfig) kc.loadFromDefault();
  const context = kc.getCurrentContext();
  if (!context) throw new Error("no current kubeconfig context: create the cluster with `make deploy`, or set KUBECONFIG");
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const execApi = new k8s.Exec(kc);
  const forwarder = new k8s.PortForward(kc);
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw apiError(what, err);
    }
  };
  return {
    context,
    namespace,
    listPods: (labelSelector) => call("listNamespacedPod", async () => (await core.listNamespacedPod({ namespace, labelSelector })).items.map(podInfo)),
    deletePod: (name, gracePeriodSeconds) =>
      call("deleteNamespacedPod", async () => {
        await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds });
      }),
    listDeployments: (labelSelector) =>
      call("listNamespacedDeployment", async () => (await apps.listNamespacedDeployment({ namespace, labelSelector })).items.map(deploymentView)),
    readDeployment: (name) => call("readNamespacedDeployment", async () => deploymentView(await apps.readNamespacedDeployment({ name, namespace }))),
    patchDeployment: (name, body) =>
      call("patchNamespacedDeployment", async () => {
        await apps.patchNamespacedDeployment({ name, namespace, body });
      }),
    readDeploymentScale: (name) => call("readNamespacedDeploymentScale", async () => (await apps.readNamespacedDeploymentScale({ name, namespace })).spec?.replicas ?? 0),
    patchDeploymentScale: (name, replicas) =>
      call("patchNamespacedDeploymentScale", async () => {
        await apps.patchNamespacedDeploymentScale({ name, namespace, body: scalePatch(replicas) });
      }),
    readStatefulSet: (name) =>
      call("readNamespacedStatefulSet", async () => {
        const s = await apps.readNamespacedStatefulSet({ name, namespace });
        return workloadStatus(s.metadata, s.spec, s.status);
      }),
    readStatefulSetScale: (name) => call("readNamespacedStatefulSetScale", async () => (await apps.readNamespacedStatefulSetScale({ name, namespace })).spec?.replicas ?? 0),
    patchStatefulSetScale: (name, replicas) =>
      call("patchNamespacedStatefulSetScale", async () => {
        await apps.patchNamespacedStatefulSetScale({ name, namespace, body: scalePatch(replicas) });
      }),
    readConfigMap: (name) => call("readNamespacedConfigMap", async () => (await core.readNamespacedConfigMap({ name, namespace })).data ?? {}),
    getVirtualService: (name) =>
      call("getNamespacedCustomObject", async () => {
        const vs = (await custom.getNamespacedCustomObject({ ...istio, namespace, name })) as {
          metadata?: { resourceVersion?: string };
          spec?: { http?: Array<Record<string, unknown>> };
        };
        return { resourceVersion: vs.metadata?.resourceVersion ?? "", http: vs.spec?.http ?? [] };
      }),
    patchVirtualService: (name, body) =>
      call("patchNamespacedCustomObject", async () => {
        await custom.patchNamespacedCustomObject({ ...istio, namespace, name, body });
      }),
    exec: (pod, container, command) =>
      call(
        `exec in ${pod}/${container}`,
        () =>
          new Promise<string>((resolve, reject) => {
            const out: Buffer[] = [];
            const err: Buffer[] = [];
            const sink = (into: Buffer[]) =>
              new Writable({
                write(chunk: Buffer, _encoding, done) {
                  into.push(chunk);
                  done();
                },
              });
            const timer = setTimeout(() => reject(new Error(`${command[0]} did not finish within 60 s`)), 60_000);
            execApi
              .exec(namespace, pod, container, command, sink(out), sink(err), null, false, (status) => {
                clearTimeout(timer);
                if (status.status === "Success") resolve(Buffer.concat(out).toString("utf8"));
                else reject(new Error(`${command.join(" ")}: ${status.message ?? status.status}; ${Buffer.concat(err).toString("utf8").trim().slice(-500)}`));
              })
              .catch((e: unknown) => {
                clearTimeout(timer);
                reject(e instanceof Error ? e : new Error(String(e)));
              });
          }),
      ),
    portForward: async (pod, port, socket) => {
      // What client-node hands back: the WebSocket of the forward, or a getter for the current one.
      type Forward = { close(): void; once(event: "close", listener: () => void): void };
      const ws = (await forwarder.portForward(namespace, pod, [port], socket, null, socket)) as Forward | (() => Forward | null);
      const current = () => (typeof ws === "function" ? ws() : ws);
      const close = () => current()?.close();
      socket.once("close", close);
      socket.once("error", close);
      current()?.once("close", () => socket.destroy()); // the pod went away: the client must reconnect (to another pod)
    },
  };
}
