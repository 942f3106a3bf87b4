// Test support: the default synth, and small typed queries over it.

import { testPlatformSettings } from "./test-settings.ts";
import { synthesize, type Manifest } from "../src/synth.ts";

export type { Manifest };

export interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface Probe {
  httpGet?: { path: string; port: number };
  tcpSocket?: { port: number };
  exec?: { command: string[] };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; emptyDir?: { sizeLimit?: string }; configMap?: { name: string } }[];
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

let cached: Manifest[] | undefined;

/** The default synth (what `make synth` writes), computed once per test file. */
export function synthOutput(): Manifest[] {
  cached ??= synthesize(testPlatformSettings);
  return cached;
}

export function ofKind(kind: string, manifests: readonly Manifest[] = synthOutput()): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

export function find(kind: string, name: string, manifests: readonly Manifest[] = synthOutput()): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} in the synth`);
  return found;
}

export function spec<T = Record<string, unknown>>(m: Manifest): T {
  return m.spec as T;
}

export function podTemplate(m: Manifest): PodTemplate {
  return (m.spec as { template: PodTemplate }).template;
}

/** Deployments, StatefulSets and Jobs. */
export function workloads(manifests: readonly Manifest[] = synthOutput()): Manifest[] {
  return manifests.filter((m) => ["Deployment", "StatefulSet", "Job"].includes(m.kind));
}

/** Compares two manifest lists object by object, reporting the first difference readably. */
export function assertSameManifests(actual: readonly Manifest[], expected: readonly Manifest[], what = "manifests"): void {
  const key = (m: Manifest): string => `${m.kind} ${m.metadata.namespace ?? ""}/${m.metadata.name}`;
  const actualByKey = new Map(actual.map((m) => [key(m), m]));
  const expectedByKey = new Map(expected.map((m) => [key(m), m]));
  const missing = [...expectedByKey.keys()].filter((k) => !actualByKey.has(k));
  const extra = [...actualByKey.keys()].filter((k) => !expectedByKey.has(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`${what}: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}`);
  }
  for (const [k, m] of expectedByKey) {
    const other = JSON.stringify(sortKeys(actualByKey.get(k)));
    const mine = JSON.stringify(sortKeys(m));
    if (other !== mine) throw new Error(`${what}: ${k} differs\n  actual:   ${other}\n  expected: ${mine}`);
  }
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} objects, expected ${expected.length}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
