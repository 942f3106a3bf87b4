// Emits a typed @kubernetes-models resource (the Istio policy from mesh/) as a
// cdk8s ApiObject, so it is synthesized, labelled and ordered with the rest.

import { ApiObject } from "cdk8s";
import type { Construct } from "constructs";

interface ModelLike {
  toJSON(): unknown;
}

interface ManifestShape {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export function apiObjectFromModel(scope: Construct, id: string, model: ModelLike): ApiObject {
  const manifest = structuredClone(model.toJSON()) as ManifestShape;
  if (typeof manifest.apiVersion !== "string" || typeof manifest.kind !== "string") {
    throw new Error(`apiObjectFromModel(${id}): the model has no apiVersion/kind`);
  }
  return new ApiObject(scope, id, manifest);
}
