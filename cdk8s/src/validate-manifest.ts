// Offline schema validation of synthesized objects: each manifest is loaded
// into its kubernetes-models (Kubernetes 1.x OpenAPI) or @kubernetes-models/istio
// (Istio CRD) class and `validate()`d. An object whose apiVersion/kind has no
// model is an error too, so nothing escapes validation.
//
// Limits: these JSON schemas check types, required fields, enums and formats;
// like the API server's OpenAPI they do not reject unknown fields, and CEL
// rules (x-kubernetes-validations) of the Istio CRDs are not evaluated. The
// typed constructors (cdk8s-plus, the Istio models in mesh/) catch misspelled
// fields at compile time instead.

import * as istioNetworkingV1 from "@kubernetes-models/istio/networking.istio.io/v1";
import * as istioSecurityV1 from "@kubernetes-models/istio/security.istio.io/v1";
import * as appsV1 from "kubernetes-models/apps/v1";
import * as autoscalingV2 from "kubernetes-models/autoscaling/v2";
import * as batchV1 from "kubernetes-models/batch/v1";
import * as networkingV1 from "kubernetes-models/networking.k8s.io/v1";
import * as policyV1 from "kubernetes-models/policy/v1";
import * as coreV1 from "kubernetes-models/v1";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

const modules: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  "apps/v1": appsV1,
  "batch/v1": batchV1,
  "policy/v1": policyV1,
  "networking.k8s.io/v1": networkingV1,
  "autoscaling/v2": autoscalingV2,
  "networking.istio.io/v1": istioNetworkingV1,
  "security.istio.io/v1": istioSecurityV1,
};

export interface ManifestIdentity {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
}

/**
 * prometheus-operator's kinds have no model package: these check their shape
 * (what the CRD's schema requires and types); the API server checks the
 * whole schema once the CRDs are installed (scripts/cluster/src/deploy/prometheus-operator-crds.ts).
 */
class PrometheusRuleShape implements Validatable {
  constructor(private readonly data: { spec?: { groups?: unknown } }) {}
  validate(): void {
    const groups = this.data.spec?.groups;
    if (!Array.isArray(groups) || groups.length === 0) throw new Error("spec.groups must be a non-empty array");
    const names = new Set<string>();
    for (const [i, group] of (groups as Array<{ name?: unknown; rules?: unknown }>).entries()) {
      if (typeof group.name !== "string" || group.name === "") throw new Error(`spec.groups[${i}].name must be a non-empty string`);
      if (names.has(group.name)) throw new Error(`spec.groups[${i}].name ${group.name} is not unique`);
      names.add(group.name);
      if (!Array.isArray(group.rules)) throw new Error(`spec.groups[${i}].rules must be an array`);
      for (const [j, rule] of (group.rules as Array<Record<string, unknown>>).entries()) {
        const at = `spec.groups[${i}].rules[${j}]`;
        if (typeof rule.expr !== "string" || rule.expr === "") throw new Error(`${at}.expr must be a non-empty string`);
        if ((typeof rule.record === "string") === (typeof rule.alert === "string")) throw new Error(`${at} must have exactly one of record and alert`);
        for (const key of ["labels", "annotations"]) {
          const map = rule[key];
          if (map !== undefined && (typeof map !== "object" || Object.values(map as object).some((v) => typeof v !== "string"))) throw new Error(`${at}.${key} must map strings to strings`);
        }
      }
    }
  }
}

class PodMonitorShape implements Validatable {
  constructor(private readonly data: { spec?: { selector?: unknown; podMetricsEndpoints?: unknown } }) {}
  validate(): void {
    if (typeof this.data.spec?.selector !== "object" || this.data.spec.selector === null) throw new Error("spec.selector is required");
    const endpoints = this.data.spec.podMetricsEndpoints;
    if (!Array.isArray(endpoints) || endpoints.length === 0) throw new Error("spec.podMetricsEndpoints must be a non-empty array");
    for (const [i, e] of (endpoints as Array<{ portNumber?: unknown; path?: unknown }>).entries()) {
      if (!Number.isInteger(e.portNumber) || (e.portNumber as number) < 1 || (e.portNumber as number) > 65535) throw new Error(`spec.podMetricsEndpoints[${i}].portNumber must be a port`);
      if (e.path !== undefined && (typeof e.path !== "string" || !e.path.startsWith("/"))) throw new Error(`spec.podMetricsEndpoints[${i}].path must be an absolute path`);
    }
  }
}

modules["monitoring.coreos.com/v1"] = { PrometheusRule: PrometheusRuleShape, PodMonitor: PodMonitorShape };

/** The model class for an apiVersion/kind, or undefined when none is known. */
export function modelClassFor(apiVersion: string, kind: string): ModelClass | undefined {
  const candidate = modules[apiVersion]?.[kind];
  return typeof candidate === "function" ? (candidate as ModelClass) : undefined;
}

/** Throws with the object's identity and the schema errors when it does not validate. */
export function validateManifest(manifest: ManifestIdentity): void {
  const id = `${manifest.apiVersion} ${manifest.kind} ${manifest.metadata?.namespace ?? ""}/${manifest.metadata?.name ?? "?"}`;
  const Model = modelClassFor(manifest.apiVersion, manifest.kind);
  if (Model === undefined) throw new Error(`${id}: no schema known for this apiVersion/kind`);
  try {
    new Model(structuredClone(manifest) as never).validate();
  } catch (error) {
    throw new Error(`${id}: ${(error as Error).message}`, { cause: error });
  }
}

/** Validates every manifest; returns the list of failures (empty when all pass). */
export function validationErrors(manifests: readonly ManifestIdentity[]): string[] {
  const errors: string[] = [];
  for (const m of manifests) {
    try {
      validateManifest(m);
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  return errors;
}
