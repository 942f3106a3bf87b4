// Jaeger v2 in the namespace (optional, on by default): the upstream image,
// or on a cluster without a registry one built from the same release
// (scripts/images/jaeger), with meshmart's configuration (the one `make dev` runs: OTLP gRPC and
// HTTP in, an in-memory store, the query API and UI on 16686, a health
// endpoint, no self-tracing), a Service, and the NetworkPolicies that let
// every pod of the namespace send spans to it. It runs without an Istio
// sidecar: the proxies' own spans reach it in plaintext, which a STRICT
// sidecar would refuse. The store is in memory (50 000 traces): a
// development backend, not a production one.
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { jaegerConfig, standardJaegerPorts } from "@meshmart/observability/jaeger-config";
import { applyRecommendedLabels, instanceName, recommendedLabels, selectorLabels } from "./labels.ts";

export const jaegerName = "jaeger";
export const jaegerPorts = standardJaegerPorts;
const jaegerUserId = 10001;

/** The OTLP/HTTP endpoint of the in-cluster Jaeger, for OTEL_EXPORTER_OTLP_ENDPOINT. */
export function jaegerOtlpEndpoint(namespace: string): string {
  return `http://${jaegerName}.${namespace}.svc.cluster.local:${jaegerPorts.otlpHttp}`;
}

export interface JaegerProps {
  readonly namespace: string;
  readonly image: string;
  readonly version: string;
  readonly managedBy: string;
}

export class Jaeger extends Construct {
  constructor(scope: Construct, id: string, props: JaegerProps) {
    super(scope, id);
    const labels = recommendedLabels({
      name: jaegerName,
      instance: instanceName(props.namespace, jaegerName),
      version: props.image.split(":")[1] ?? props.version,
      component: "tracing",
      managedBy: props.managedBy,
    });
    const selector = selectorLabels(labels);
    const port = (name: string, containerPort: number) => ({ name, containerPort, protocol: "TCP" });

    new kplus.k8s.KubeServiceAccount(this, "service-account", { metadata: { name: jaegerName }, automountServiceAccountToken: false });
    new kplus.k8s.KubeConfigMap(this, "config", {
      metadata: { name: `${jaegerName}-config` },
      data: { "config.yaml": jaegerConfig(jaegerPorts, "0.0.0.0") },
    });
    new kplus.k8s.KubeDeployment(this, "deployment", {
      metadata: { name: jaegerName },
      spec: {
        replicas: 1,
        // One in-memory store: a second pod would hold other traces. Recreate, never two at once.
        strategy: { type: "Recreate" },
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels,
            annotations: { "sidecar.istio.io/inject": "false", "kubectl.kubernetes.io/default-container": jaegerName },
          },
          spec: {
            serviceAccountName: jaegerName,
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: jaegerUserId, runAsGroup: jaegerUserId, fsGroup: jaegerUserId, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: jaegerName,
                image: props.image,
                imagePullPolicy: "IfNotPresent",
                args: ["--config", "/etc/jaeger/config.yaml"],
                ports: [
                  port("query", jaegerPorts.query),
                  port("query-grpc", jaegerPorts.queryGrpc),
                  port("otlp-grpc", jaegerPorts.otlpGrpc),
                  port("otlp-http", jaegerPorts.otlpHttp),
                  port("health", jaegerPorts.health),
                ],
                resources: {
                  requests: { cpu: kplus.k8s.Quantity.fromString("50m"), memory: kplus.k8s.Quantity.fromString("256Mi"), "ephemeral-storage": kplus.k8s.Quantity.fromString("64Mi") },
                  limits: { cpu: kplus.k8s.Quantity.fromString("1"), memory: kplus.k8s.Quantity.fromString("1Gi"), "ephemeral-storage": kplus.k8s.Quantity.fromString("256Mi") },
                },
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: jaegerUserId,
                  runAsGroup: jaegerUserId,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  capabilities: { drop: ["ALL"] },
                },
                readinessProbe: { httpGet: { path: "/status", port: kplus.k8s.IntOrString.fromNumber(jaegerPorts.health) }, periodSeconds: 5 },
                // Alive while it accepts connections; ready once its health check says so (kube-score: not identical).
                livenessProbe: { tcpSocket: { port: kplus.k8s.IntOrString.fromNumber(jaegerPorts.query) }, periodSeconds: 10, failureThreshold: 6 },
                volumeMounts: [
                  { name: "config", mountPath: "/etc/jaeger", readOnly: true },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: `${jaegerName}-config` } },
              { name: "tmp", emptyDir: { sizeLimit: kplus.k8s.Quantity.fromString("64Mi") } },
            ],
          },
        },
      },
    });
    new kplus.k8s.KubeService(this, "service", {
      metadata: { name: jaegerName },
      spec: {
        selector,
        ports: [
          { name: "http-query", port: jaegerPorts.query, targetPort: kplus.k8s.IntOrString.fromNumber(jaegerPorts.query), appProtocol: "http" },
          { name: "grpc-query", port: jaegerPorts.queryGrpc, targetPort: kplus.k8s.IntOrString.fromNumber(jaegerPorts.queryGrpc), appProtocol: "grpc" },
          { name: "grpc-otlp", port: jaegerPorts.otlpGrpc, targetPort: kplus.k8s.IntOrString.fromNumber(jaegerPorts.otlpGrpc), appProtocol: "grpc" },
          { name: "http-otlp", port: jaegerPorts.otlpHttp, targetPort: kplus.k8s.IntOrString.fromNumber(jaegerPorts.otlpHttp), appProtocol: "http" },
        ],
      },
    });

    // Every pod of the namespace may send spans (the services' SDKs over OTLP/HTTP, the proxies over OTLP/gRPC)...
    const tcp = (p: number) => ({ protocol: "TCP", port: kplus.k8s.IntOrString.fromNumber(p) });
    new kplus.k8s.KubeNetworkPolicy(this, "egress", {
      metadata: { name: "allow-tracing" },
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: selector } }], ports: [tcp(jaegerPorts.otlpGrpc), tcp(jaegerPorts.otlpHttp)] }] },
    });
    // ...and Jaeger takes them, and queries from the namespace (kubectl port-forward reaches the UI in any case).
    new kplus.k8s.KubeNetworkPolicy(this, "ingress", {
      metadata: { name: jaegerName },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: {} }], ports: [tcp(jaegerPorts.otlpGrpc), tcp(jaegerPorts.otlpHttp), tcp(jaegerPorts.query), tcp(jaegerPorts.queryGrpc)] }],
      },
    });
    applyRecommendedLabels(this, labels);
  }
}
