// The open-loop load generator (services/e2e/src/load) as a Kubernetes Job
// against the gateway in the cluster: off by default (not in the platform's
// synth), synthesized on demand with `make load-job ARGS="--rate 50 --duration 60s"`
// into cdk8s/dist/load-job.yaml, then `kubectl apply -f` it.
//
// What it needs beside the platform:
// - an image with the e2e workspace: `<imageRepository>/e2e:<imageTag>`, built
//   from the Dockerfile like a service's, with the load generator as its entry
//   (--build-arg SERVICE=e2e --build-arg ENTRY=src/load/main.ts);
// - the Secret `load-generator-signing-key` (key `private.jwk`: the private key
//   of the installation's token issuer, whose public keys the gateway trusts),
//   mounted as MESHMART_KEY_DIR so the generator signs its customers' tokens;
// - to reach the gateway: the NetworkPolicy and the AuthorizationPolicy below
//   (the platform's policies admit only the gateway's real callers).
// Its result is its log (progress lines, the summary); it does not time the
// sagas (orders is reachable only by its callers).
import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import { principal } from "@meshmart/mesh/principal";
import { services } from "@meshmart/topology";
import { recommendedLabels, instanceName } from "./labels.ts";

export interface LoadGeneratorOptions {
  namespace: string;
  image: string;
  imageTag: string;
  rate: number;
  /** e.g. "60s" */
  duration: string;
  arrival?: "constant" | "poisson";
  managedBy?: string;
}

export const loadGeneratorName = "load-generator";
export const loadGeneratorKeySecret = "load-generator-signing-key";

export class LoadGeneratorJob extends Construct {
  constructor(scope: Construct, id: string, options: LoadGeneratorOptions) {
    super(scope, id);
    const { namespace } = options;
    const labels = recommendedLabels({
      name: loadGeneratorName,
      instance: instanceName(namespace, loadGeneratorName),
      version: options.imageTag,
      component: "load-generator",
      managedBy: options.managedBy ?? "cdk8s",
    });
    const selector = { "app.kubernetes.io/name": loadGeneratorName };
    const gatewaySelector = { "app.kubernetes.io/name": "gateway" };
    const gatewayPort = 8080;

    new ApiObject(this, "service-account", {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: loadGeneratorName, namespace, labels },
      automountServiceAccountToken: false,
    });
    new ApiObject(this, "job", {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: loadGeneratorName, namespace, labels },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 3_600,
        template: {
          metadata: { labels: { ...labels, "sidecar.istio.io/inject": "true" }, annotations: { "proxy.istio.io/config": '{ "holdApplicationUntilProxyStarts": true }', "sidecar.istio.io/nativeSidecar": "true" } },
          spec: {
            serviceAccountName: loadGeneratorName,
            restartPolicy: "Never",
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "load",
                image: options.image,
                command: ["node", "--enable-source-maps", "services/e2e/dist/image/main.mjs"],
                args: ["--rate", String(options.rate), "--duration", options.duration, "--arrival", options.arrival ?? "constant", "--gateway", `http://gateway:${gatewayPort}`, "--no-saga", "--out", "/tmp/load.json"],
                env: [{ name: "MESHMART_KEY_DIR", value: "/keys" }, { name: "MESHMART_HISTORY", value: "/tmp/history.json" }],
                resources: { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "256Mi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [
                  { name: "tmp", mountPath: "/tmp" },
                  { name: "keys", mountPath: "/keys", readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
              { name: "keys", secret: { secretName: loadGeneratorKeySecret, defaultMode: 0o400 } },
            ],
          },
        },
      },
    });
    // The platform's NetworkPolicies let only the gateway's real callers in: this Job is one more.
    new ApiObject(this, "network-policy", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: `${loadGeneratorName}-to-gateway`, namespace, labels },
      spec: {
        podSelector: gatewaySelector,
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: selector } }], ports: [{ protocol: "TCP", port: gatewayPort }] }],
      },
    });
    new ApiObject(this, "network-policy-egress", {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: loadGeneratorName, namespace, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Egress", "Ingress"],
        egress: [
          { to: [{ podSelector: { matchLabels: gatewaySelector } }], ports: [{ protocol: "TCP", port: gatewayPort }] },
          { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
          // istiod (the sidecar's certificates and configuration).
          { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } } }], ports: [{ protocol: "TCP", port: 15012 }] },
        ],
        ingress: [],
      },
    });
    new ApiObject(this, "authorization-policy", {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: `${loadGeneratorName}-to-gateway`, namespace, labels },
      spec: {
        selector: { matchLabels: gatewaySelector },
        action: "ALLOW",
        rules: [{ from: [{ source: { principals: [principal(namespace, loadGeneratorName)] } }], to: [{ operation: { ports: [String(gatewayPort)] } }] }],
      },
    });
    if (!services.gateway) throw new Error("the topology has no gateway");
  }
}
