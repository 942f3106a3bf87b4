// What the PostgreSQL and Kafka StatefulSets share: the pod hardening
// cdk8s-plus-27 cannot express (capabilities, seccomp), one data volume
// claim per pod, the selector cleaned of cdk8s's address label, and a PDB.
import { ApiObject, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import type { Construct } from "constructs";

export interface StatefulStoreProps {
  name: string;
  selector: Record<string, string>;
  /** Where the data volume is mounted in the first container. */
  dataPath: string;
  /** Size of each pod's volume claim; default 2Gi. */
  storage?: string;
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
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: props.storage ?? "2Gi" } } },
      },
    ]),
  );
  new kplus.k8s.KubePodDisruptionBudget(scope, "pdb", {
    metadata: { name: props.name },
    spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: props.selector } },
  });
}
