// Istio policy as code for meshmart: typed @kubernetes-models/istio resources,
// derived from services/topology/src/topology.ts, emitted by the cdk8s app.

export * from "./authorization-policy.ts";
export * from "./destination-rule.ts";
export * from "./duration.ts";
export * from "./host.ts";
export * from "./ingress.ts";
export * from "./mesh-options.ts";
export * from "./mesh-policy.ts";
export * from "./peer-authentication.ts";
export * from "./principal.ts";
export * from "./virtual-service.ts";
