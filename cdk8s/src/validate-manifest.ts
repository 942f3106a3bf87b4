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
