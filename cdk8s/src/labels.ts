// Kubernetes recommended labels (app.kubernetes.io/*) on every object. A
// construct states who it is once; `applyRecommendedLabels` stamps the labels on
// every API object below it, and `selectorLabels` is the stable subset that
// Deployments, Services, PDBs and Istio selectors match on.

import { ApiObject } from "cdk8s";
import type { IConstruct } from "constructs";

export const partOf = "meshmart";

export interface RecommendedLabelsProps {
  /** app.kubernetes.io/name: the application (e.g. "catalog", "postgres"). */
  readonly name: string;
  /** app.kubernetes.io/instance: this instance of it. */
  readonly instance: string;
  /** app.kubernetes.io/version */
  readonly version: string;
  /** app.kubernetes.io/component: its role (service, edge, database, message-broker, mesh-policy). */
  readonly component: string;
  /** app.kubernetes.io/managed-by */
  readonly managedBy: string;
}

export function recommendedLabels(props: RecommendedLabelsProps): Record<string, string> {
  return {
    "app.kubernetes.io/name": props.name,
    "app.kubernetes.io/instance": props.instance,
    "app.kubernetes.io/version": props.version,
    "app.kubernetes.io/component": props.component,
    "app.kubernetes.io/part-of": partOf,
    "app.kubernetes.io/managed-by": props.managedBy,
  };
}

/** The labels selectors use: name and instance, which never change over a workload's life. */
export function selectorLabels(labels: Record<string, string>): Record<string, string> {
  const name = labels["app.kubernetes.io/name"];
  const instance = labels["app.kubernetes.io/instance"];
  if (name === undefined || instance === undefined) throw new Error("selectorLabels: name and instance labels are required");
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance };
}

/** Adds `labels` to the metadata of every API object in the construct tree under `scope`. */
export function applyRecommendedLabels(scope: IConstruct, labels: Record<string, string>): void {
  for (const child of scope.node.findAll()) {
    if (!(child instanceof ApiObject)) continue;
    for (const [key, value] of Object.entries(labels)) child.metadata.addLabel(key, value);
  }
}

/** `<namespace>-<name>`: unique per installation of the platform. */
export function instanceName(namespace: string, name: string): string {
  return `${namespace}-${name}`;
}
