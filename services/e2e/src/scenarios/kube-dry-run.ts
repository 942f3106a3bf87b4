// A simulated meshmart namespace for `--target kind --dry-run`: it answers the
// kind target's calls the way a healthy cluster would (pods become Ready at
// once, scales take effect, patches apply), so that the dry run walks the same
// code path as a real run and prints every call in order, with no cluster.
// Its answers are invented; a dry run proves the plan, not the platform.
import { serviceNames, services } from "@meshmart/topology";
import { meshOptions } from "@meshmart/mesh";
import { serviceVirtualService } from "@meshmart/mesh/virtual-service";
import type { DeploymentView, JsonPatch, KubeOps, PodInfo, WorkloadStatus } from "../cluster/kube-ops.ts";

type Json = Record<string, unknown> | unknown[];

/** RFC 6902 add/replace/remove/test on plain JSON (what the simulated API server applies). */
export function applyJsonPatch<T>(document: T, patch: JsonPatch): T {
  const doc = structuredClone(document) as unknown as Json;
  for (const { op, path, value } of patch) {
    const keys = path.split("/").slice(1).map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = keys.pop();
    if (last === undefined) throw new Error(`JSON patch: bad path "${path}"`);
    let parent: unknown = doc;
    for (const key of keys) {
      parent = (parent as Record<string, unknown>)?.[key];
      if (parent === undefined || parent === null) throw new Error(`JSON patch ${op}: no such path "${path}"`);
    }
    const array = Array.isArray(parent) ? (parent as unknown[]) : undefined;
    const object = parent as Record<string, unknown>;
    const index = last === "-" && array ? array.length : Number(last);
    const exists = array ? index < array.length : last in object;
    const currentValue = array ? array[index] : object[last];
    if (op === "test") {
      if (JSON.stringify(currentValue) !== JSON.stringify(value)) throw new Error(`JSON patch test failed at "${path}"`);
    } else if (op === "remove" || op === "replace") {
      if (!exists) throw new Error(`JSON patch ${op}: no such path "${path}"`);
      if (op === "remove") {
        if (array) array.splice(index, 1);
        else delete object[last];
      } else if (array) array[index] = structuredClone(value);
      else object[last] = structuredClone(value);
    } else if (array) {
      array.splice(index, 0, structuredClone(value));
    } else {
      object[last] = structuredClone(value);
    }
  }
  return doc as unknown as T;
}

interface SimDeployment {
  metadata: { generation: number };
  spec: { replicas: number; template: { spec: { containers: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> } } };
}

export function dryRunOps(namespace: string): KubeOps {
  let serial = 0;
  const pod = (app: string): PodInfo => {
    // (the simulated pods run with an Istio sidecar, as on kind)
    serial++;
    return { name: app === "kafka" || app === "postgres" ? `${app}-0` : `${app}-dryrun-${serial}`, uid: `uid-${serial}`, ready: true, terminating: false, containers: ["istio-proxy", app] };
  };
  const pods = new Map<string, PodInfo[]>();
  const deployments = new Map<string, SimDeployment>();
  for (const name of serviceNames) {
    pods.set(name, [pod(name), pod(name)]);
    deployments.set(name, { metadata: { generation: 1 }, spec: { replicas: 2, template: { spec: { containers: [{ name }] } } } });
  }
  // The StatefulSets of cdk8s/src/kafka.ts and postgres.ts, one replica each.
  const statefulSets = new Map([["kafka", 1], ["postgres", 1]]);
  pods.set("kafka", [pod("kafka")]);
  pods.set("postgres", [pod("postgres")]);
  let virtualService = {
    metadata: { resourceVersion: "1" },
    spec: (serviceVirtualService(services.catalog, meshOptions({ namespace })).toJSON() as { spec: { http: Array<Record<string, unknown>> } }).spec,
  };
  let faultAborts = 0;

  const appOf = (selector: string) => /app\.kubernetes\.io\/name=([\w-]+)/.exec(selector)?.[1] ?? "";
  const scalePods = (app: string, replicas: number) => {
    const list = pods.get(app) ?? [];
    while (list.length > replicas) list.pop();
    while (list.length < replicas) list.push(pod(app));
    pods.set(app, list);
  };
  const rolledOut = (replicas: number, generation: number): WorkloadStatus => ({
    desired: replicas,
    replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    updatedReplicas: replicas,
    generation,
    observedGeneration: generation,
  });
  const view = (name: string): DeploymentView => {
    const d = deployments.get(name);
    if (!d) throw new Error(`deployments.apps "${name}" not found (simulated)`);
    return { name, status: rolledOut(d.spec.replicas, d.metadata.generation), containers: d.spec.template.spec.containers };
  };

  return {
    context: "<current kubeconfig context>",
    namespace,
    listPods: async (selector) => structuredClone(pods.get(appOf(selector)) ?? []),
    deletePod: async (name) => {
      for (const [app, list] of pods) {
        const i = list.findIndex((p) => p.name === name);
        if (i >= 0) list.splice(i, 1, pod(app)); // its controller replaces it at once
      }
    },
    listDeployments: async () => [...deployments.keys()].map(view),
    readDeployment: async (name) => view(name),
    patchDeployment: async (name, patch) => {
      const d = applyJsonPatch(deployments.get(name)!, patch);
      d.metadata.generation++;
      deployments.set(name, d);
      scalePods(name, 0);
      scalePods(name, d.spec.replicas);
    },
    readDeploymentScale: async (name) => deployments.get(name)!.spec.replicas,
    patchDeploymentScale: async (name, replicas) => {
      deployments.get(name)!.spec.replicas = replicas;
      scalePods(name, replicas);
    },
    readStatefulSet: async (name) => rolledOut(statefulSets.get(name) ?? 0, 1),
    readStatefulSetScale: async (name) => statefulSets.get(name) ?? 0,
    patchStatefulSetScale: async (name, replicas) => {
      statefulSets.set(name, replicas);
      scalePods(name, replicas);
    },
    readConfigMap: async () => ({ KAFKA_BROKERS: "kafka:9092" }),
    getVirtualService: async () => ({ resourceVersion: virtualService.metadata.resourceVersion, http: structuredClone(virtualService.spec.http) }),
    patchVirtualService: async (_name, patch) => {
      virtualService = applyJsonPatch(virtualService, patch);
      virtualService.metadata.resourceVersion = String(Number(virtualService.metadata.resourceVersion) + 1);
      if (virtualService.spec.http.some((route) => route.fault)) faultAborts += 7;
    },
    exec: async (_pod, _container, command) => {
      if (command.some((c) => c.includes("kafka-consumer-groups"))) {
        return ["GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID", "orders meshmart.inventory.v1 0 10 10 0 - - -"].join("\n");
      }
      return `istio_requests_total{reporter="source",destination_service_name="catalog",response_code="503",response_flags="FI"} ${faultAborts}\n`;
    },
    portForward: async () => {
      throw new Error("a dry run forwards no port");
    },
  };
}
