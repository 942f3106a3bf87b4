// The platform's namespace, with Istio sidecar injection switched on for every
// pod created in it.

import { ApiObject, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";

export interface MeshmartNamespaceProps {
  readonly name: string;
  /** Label the namespace for automatic sidecar injection (default true). */
  readonly istioInjection?: boolean;
  readonly labels: Record<string, string>;
}

export class MeshmartNamespace extends Construct {
  readonly namespace: kplus.Namespace;

  constructor(scope: Construct, id: string, props: MeshmartNamespaceProps) {
    super(scope, id);
    this.namespace = new kplus.Namespace(this, "namespace", {
      metadata: {
        name: props.name,
        labels: { ...props.labels, ...((props.istioInjection ?? true) ? { "istio-injection": "enabled" } : {}) },
      },
    });
    // A Chart's namespace is stamped on every object; a Namespace is cluster-scoped.
    const object = ApiObject.of(this.namespace);
    if (object.metadata.namespace !== undefined) object.addJsonPatch(JsonPatch.remove("/metadata/namespace"));
  }
}
