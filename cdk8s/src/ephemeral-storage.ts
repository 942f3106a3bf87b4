// Ephemeral-storage requests and limits on a workload's first container.
// cdk8s-plus-27 can only express them in whole gibibytes, which is far more
// than a service's /tmp and logs need, so they are patched in as quantities.
// (Quantity objects: the Kube* classes convert the patched JSON through their
// typed props, where a plain string quantity would come out empty.)
import { ApiObject, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import type { IConstruct } from "constructs";

export interface EphemeralStorage {
  /** e.g. "128Mi" */
  readonly request: string;
  readonly limit: string;
}

export function setEphemeralStorage(workload: IConstruct, storage: EphemeralStorage): void {
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add("/spec/template/spec/containers/0/resources/requests/ephemeral-storage", kplus.k8s.Quantity.fromString(storage.request)),
    JsonPatch.add("/spec/template/spec/containers/0/resources/limits/ephemeral-storage", kplus.k8s.Quantity.fromString(storage.limit)),
  );
}
