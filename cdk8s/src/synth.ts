// Synthesis: the platform's manifests as plain objects, in apply order
// (namespace first, workloads before the objects that refer to them), and as
// one multi-document YAML file.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdk8s";
import { stringify } from "yaml";
import { MeshmartChart } from "./meshmart-chart.ts";
import type { PlatformSettings } from "./platform-settings.ts";

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export const manifestFileName = "meshmart.k8s.yaml";

const kindOrder = [
  "Namespace",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "PeerAuthentication",
  "AuthorizationPolicy",
  "RequestAuthentication",
  "DestinationRule",
  "NetworkPolicy",
  "Service",
  "StatefulSet",
  "Deployment",
  "Job",
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
  "Gateway",
  "VirtualService",
];

function rank(kind: string): number {
  const i = kindOrder.indexOf(kind);
  return i === -1 ? kindOrder.length : i;
}

/** Orders manifests for `kubectl apply`: by kind, then namespace and name. */
export function sortManifests(manifests: readonly Manifest[]): Manifest[] {
  return [...manifests].sort(
    (a, b) =>
      rank(a.kind) - rank(b.kind) ||
      (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

export function synthesize(settings: PlatformSettings): Manifest[] {
  const app = new App();
  new MeshmartChart(app, "meshmart", { settings });
  // Plain JSON data from here on (no undefined members, no prototypes).
  const manifests = JSON.parse(JSON.stringify(app.charts.flatMap((chart) => chart.toJson() as unknown[]))) as Manifest[];
  const keys = new Set<string>();
  for (const m of manifests) {
    const key = `${m.apiVersion}/${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;
    if (keys.has(key)) throw new Error(`two objects would be the same resource: ${key}`);
    keys.add(key);
  }
  return sortManifests(manifests);
}

export function toYaml(manifests: readonly Manifest[]): string {
  return manifests.map((m) => stringify(m, { lineWidth: 0 })).join("---\n");
}

/** Writes the manifests to `<dir>/meshmart.k8s.yaml`, removing earlier output. */
export function writeManifests(dir: string, manifests: readonly Manifest[]): string {
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(dir)) if (entry.endsWith(".yaml")) rmSync(join(dir, entry));
  const file = join(dir, manifestFileName);
  writeFileSync(file, toYaml(manifests));
  return file;
}
