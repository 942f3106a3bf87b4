// What the PostgreSQL and Kafka StatefulSets share: the pod hardening
// cdk8s-plus-27 cannot express (capabilities, seccomp), one data volume
// claim per pod, the pod template and the governing Service cleaned of
// cdk8s's address label, and a PDB.
import { ApiObject, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import type { Construct } from "constructs";
import { setEphemeralStorage, type EphemeralStorage } from "./ephemeral-storage.ts";

export interface StatefulStoreProps {
  name: string;
  /** The StatefulSet's governing (headless) Service. */
  headless: kplus.Service;
  selector: Record<string, string>;
  /** Where the data volume is mounted in the first container. */
  dataPath: string;
  /** Size of each pod's volume claim; default 2Gi. */
  storage?: string;
  /** What the container writes outside the volume (logs, /tmp). */
  ephemeralStorage: EphemeralStorage;
}

export function finishStatefulStore(scope: Construct, statefulSet: kplus.StatefulSet, props: StatefulStoreProps): void {
  ApiObject.of(statefulSet).addJsonPatch(
    JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr"),
    JsonPatch.add("/spec/template/spec/containers/0/securityContext/capabilities", { drop: ["ALL"] }),
    JsonPatch.add("/spec/template/spec/securityContext/seccompProfile", { type: "RuntimeDefault" }),
    JsonPatch.add("/spec/template/spec/containers/0/volumeMounts/-", { name: "data", mountPath: props.dataPath }),
    JsonPatch.add("/spec/volumeClaimTemplates", [
      {
        metadata: { name: "data", labels: props.selector },
        // A Quantity, not a string: KubeStatefulSet converts its JSON (patches included) through
        // the typed k8s classes after patching, and a plain string quantity comes out empty.
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: kplus.k8s.Quantity.fromString(props.storage ?? "2Gi") } } },
      },
    ]),
  );
  setEphemeralStorage(statefulSet, props.ephemeralStorage);
  // cdk8s-plus selects the governing Service on the StatefulSet's own address label, which the
  // pods no longer carry (removed above): without this the Service would select no pod.
  ApiObject.of(props.headless).addJsonPatch(JsonPatch.remove("/spec/selector/cdk8s.io~1metadata.addr"));
  new kplus.k8s.KubePodDisruptionBudget(scope, "pdb", {
    metadata: { name: props.name },
    spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: props.selector } },
  });
}
