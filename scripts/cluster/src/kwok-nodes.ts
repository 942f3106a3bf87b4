// Fake nodes for the API-server checks: kwok (sigs.k8s.io/kwok) keeps the
// nodes it manages Ready and plays every pod scheduled on them through its
// lifecycle (Running and Ready, Jobs' pods Succeeded, deleted ones gone) with
// fake pod IPs, so that controllers, the scheduler, EndpointSlices and
// rollouts behave as on a real cluster while no container runs. Its pod IPs
// lead nowhere: nothing may send traffic to them.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { addressIn, type ClusterProfile } from "./cluster-profiles.ts";
import type { ControlPlane } from "./control-plane.ts";
import { startProcess, waitUntil, type ProcessRecord } from "./supervised-process.ts";

/** Nodes carrying this annotation are kwok's; no other node is touched. */
export const kwokNodeAnnotation = "kwok.x-k8s.io/node";

const now = "{{ $now := Now }}";

/** The lifecycle kwok plays, as kwok Stage objects (kwok.x-k8s.io/v1alpha1). */
export function kwokStages(): object[] {
  const stage = (name: string, kind: string, selector: object[], next: object, extra: object = {}) => ({
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "Stage",
    metadata: { name },
    spec: { resourceRef: { apiGroup: "v1", kind }, selector: { matchExpressions: selector }, next, ...extra },
  });
  const notDeleted = { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" };
  return [
    stage("node-ready", "Node", [{ key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: "NotIn", values: ["True"] }], {
      statusTemplate: [
        now,
        "conditions:",
        "{{ range NodeConditions }}",
        "- lastHeartbeatTime: {{ $now | Quote }}",
        "  lastTransitionTime: {{ $now | Quote }}",
        "  message: {{ .message | Quote }}",
        "  reason: {{ .reason | Quote }}",
        "  status: {{ .status | Quote }}",
        "  type: {{ .type | Quote }}",
        "{{ end }}",
        "addresses:",
        "- address: {{ NodeIP | Quote }}",
        "  type: InternalIP",
        "- address: {{ NodeName | Quote }}",
        "  type: Hostname",
        "allocatable: {cpu: '8', memory: 32Gi, pods: '110', ephemeral-storage: 100Gi}",
        "capacity: {cpu: '8', memory: 32Gi, pods: '110', ephemeral-storage: 100Gi}",
        "nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake, containerRuntimeVersion: fake, kernelVersion: fake, osImage: kwok, machineID: '', bootID: '', systemUUID: ''}",
        "phase: Running",
      ].join("\n"),
    }),
    stage(
      "pod-running",
      "Pod",
      [
        notDeleted,
        { key: ".status.phase", operator: "In", values: ["Pending"] },
        { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: "NotIn", values: ["True"] },
      ],
      {
        statusTemplate: [
          now,
          "conditions:",
          "{{ range list \"PodScheduled\" \"Initialized\" \"ContainersReady\" \"Ready\" }}",
          "- lastTransitionTime: {{ $now | Quote }}",
          "  status: \"True\"",
          "  type: {{ . }}",
          "{{ end }}",
          "containerStatuses:",
          "{{ range .spec.containers }}",
          "- {image: {{ .image | Quote }}, name: {{ .name | Quote }}, ready: true, started: true, restartCount: 0, state: {running: {startedAt: {{ $now | Quote }}}}}",
          "{{ end }}",
          "{{ with NodeIPsWith .spec.nodeName }}",
          "hostIP: {{ index . 0 | Quote }}",
          "{{ end }}",
          "{{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid \"\" ) ( or .metadata.name \"\" ) ( or .metadata.namespace \"\" ) }}",
          "podIP: {{ index . 0 | Quote }}",
          "podIPs:",
          "{{ range . }}",
          "- ip: {{ . | Quote }}",
          "{{ end }}",
          "{{ end }}",
          "phase: Running",
          "startTime: {{ $now | Quote }}",
        ].join("\n"),
      },
    ),
    stage(
      "job-pod-succeeded",
      "Pod",
      [notDeleted, { key: ".status.phase", operator: "In", values: ["Running"] }, { key: ".metadata.ownerReferences.[].kind", operator: "In", values: ["Job"] }],
      {
        statusTemplate: [
          now,
          "containerStatuses:",
          "{{ range .spec.containers }}",
          "- {image: {{ .image | Quote }}, name: {{ .name | Quote }}, ready: false, started: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}}",
          "{{ end }}",
          "conditions:",
          "- {type: Ready, status: \"False\", reason: PodCompleted, lastTransitionTime: {{ $now | Quote }}}",
          "- {type: ContainersReady, status: \"False\", reason: PodCompleted, lastTransitionTime: {{ $now | Quote }}}",
          "phase: Succeeded",
        ].join("\n"),
      },
      { delay: { durationMilliseconds: 1000 } },
    ),
    stage("pod-deleted", "Pod", [{ key: ".metadata.deletionTimestamp", operator: "Exists" }], { delete: true }),
  ];
}

/** kwok's node object: what a kubelet would register. */
export function kwokNode(name: string): object {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [kwokNodeAnnotation]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok" },
    },
    spec: {},
  };
}

/** hostPath PersistentVolumes (never mounted: no pod runs) for the StatefulSets' claims to bind to. */
export function fakeVolumes(count: number, sizeGi: number, dir: string): object[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `kwok-pv-${i}`, labels: { type: "kwok" } },
    spec: {
      capacity: { storage: `${sizeGi}Gi` },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      hostPath: { path: path.join(dir, `pv-${i}`), type: "DirectoryOrCreate" },
    },
  }));
}

export async function startKwok(plane: ControlPlane, kwokBinary: string, profile: ClusterProfile): Promise<ProcessRecord> {
  const config = path.join(plane.paths.config, "kwok.yaml");
  await mkdir(plane.paths.config, { recursive: true });
  await writeFile(config, kwokStages().map((s) => stringify(s)).join("---\n"));
  const record = await startProcess({
    name: "kwok",
    command: kwokBinary,
    args: [
      `--kubeconfig=${plane.kubeconfigs.admin}`,
      `--config=${config}`,
      "--manage-all-nodes=false",
      `--manage-nodes-with-annotation-selector=${kwokNodeAnnotation}=fake`,
      // Fake pod addresses from the profile's own test range.
      `--cidr=${profile.podCidr}`,
      `--node-ip=${addressIn(profile.podCidr, 1)}`,
      `--server-address=127.0.0.1:${profile.ports.kwokServer}`,
      "--node-lease-duration-seconds=40",
    ],
    pidsDir: plane.paths.pids,
    logsDir: plane.paths.logs,
  });
  await waitUntil(
    "kwok",
    async () => (await fetch(`http://127.0.0.1:${profile.ports.kwokServer}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok,
    { timeoutMs: 30_000, record, logsDir: plane.paths.logs },
  );
  return record;
}
