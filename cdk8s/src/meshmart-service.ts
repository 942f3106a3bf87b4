// One meshmart service on Kubernetes, from its topology entry: ServiceAccount,
// ConfigMap, the Secrets it reads by reference, a Deployment (three probes, requests and limits,
// non-root with a read-only root filesystem and no capabilities, a preStop
// pause and a grace period that fit the graceful shutdown), a Service whose
// port Istio treats as HTTP/2, a PodDisruptionBudget, an HPA, and its Istio
// VirtualService, DestinationRule and AuthorizationPolicy (from mesh/).

import { createHash } from "node:crypto";
import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { serviceAuthorizationPolicy } from "@meshmart/mesh/authorization-policy";
import { serviceDestinationRule } from "@meshmart/mesh/destination-rule";
import type { MeshOptions } from "@meshmart/mesh/mesh-options";
import { serviceVirtualService } from "@meshmart/mesh/virtual-service";
import { clusterPort, type ServiceDescription } from "@meshmart/topology";
import { setEphemeralStorage } from "./ephemeral-storage.ts";
import { apiObjectFromModel } from "./istio-api-object.ts";
import { applyRecommendedLabels, instanceName, recommendedLabels, selectorLabels } from "./labels.ts";
import { terminationGracePeriodSeconds, type ServiceDeploymentSettings } from "./service-settings.ts";

/**
 * The appProtocol of every service port. Istio reads `appProtocol` before the
 * port name; `http2` is in its documented protocol table as "plaintext HTTP/2"
 * for sidecars, so the sidecars speak h2c to the app and route, retry and
 * time out per request. (`kubernetes.io/h2c` is the Kubernetes-standard
 * spelling that Gateway API implementations read; `http2` is the value Istio
 * documents for every release.) The services answer HTTP/1.1 and h2c on the
 * same port, so callers outside the mesh are unaffected.
 */
export const serviceAppProtocol = "http2";

/**
 * The user and group the services run as in the cluster. The image's own user
 * is `node` (1000), but an id above 10000 cannot collide with a user of the
 * node's host (kube-score's check); the image needs no particular uid: its
 * files are world-readable and only /tmp (an emptyDir) is written.
 */
export const serviceUserId = 10001;

export interface MeshmartServiceProps {
  readonly service: ServiceDescription;
  readonly namespace: string;
  /** Full image reference, e.g. meshmart/catalog:dev. */
  readonly image: string;
  readonly imagePullPolicy: kplus.ImagePullPolicy;
  /** app.kubernetes.io/version */
  readonly version: string;
  readonly managedBy: string;
  readonly settings: ServiceDeploymentSettings;
  readonly mesh: MeshOptions;
  /** Non-secret environment, in the service's ConfigMap (merged over the defaults this construct sets). */
  readonly env?: Readonly<Record<string, string>>;
  /** Variables read from Secrets made at install time: name -> the Secret and key. */
  readonly envFromSecrets?: Readonly<Record<string, { readonly name: string; readonly key: string }>>;
  /**
   * Variables set on the container after those from Secrets, so that they can
   * refer to them as $(NAME) (e.g. a DATABASE_URL built around $(DATABASE_PASSWORD)).
   */
  readonly containerEnv?: Readonly<Record<string, string>>;
  /** Principals allowed in addition to the callers from the topology (e.g. a Prometheus scraping through the mesh). */
  readonly extraPrincipals?: readonly string[];
}

/** `<NAME>_URL` for each service this one calls, as the Connect clients read them. */
export function calleeUrls(service: ServiceDescription, port = clusterPort): Record<string, string> {
  return Object.fromEntries(service.calls.map((callee) => [`${callee.toUpperCase()}_URL`, `http://${callee}:${port}`]));
}

export class MeshmartService extends Construct {
  readonly deployment: kplus.Deployment;
  readonly kubeService: kplus.Service;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly configMap: kplus.ConfigMap;

  constructor(scope: Construct, id: string, props: MeshmartServiceProps) {
    super(scope, id);
    const { service, settings } = props;
    const name = service.name;
    const labels = recommendedLabels({
      name,
      instance: instanceName(props.namespace, name),
      version: props.version,
      component: name === "gateway" ? "edge" : "service",
      managedBy: props.managedBy,
    });
    const selector = selectorLabels(labels);

    this.serviceAccount = new kplus.ServiceAccount(this, "service-account", {
      metadata: { name },
      // The app never talks to the API server; Istio mounts its own token for the sidecar.
      automountToken: false,
    });

    const configData: Record<string, string> = {
      SERVICE_NAME: name,
      PORT: String(clusterPort),
      LOG_LEVEL: settings.logLevel,
      SHUTDOWN_TIMEOUT_MS: String(settings.shutdownTimeoutMs),
      FAULTS: "",
      // The sidecars apply timeouts, retries and outlier detection; the clients' own policy stays off.
      SERVICE_MESH: "istio",
      ...calleeUrls(service),
      ...settings.env,
      ...props.env,
    };
    this.configMap = new kplus.ConfigMap(this, "config", { metadata: { name: `${name}-config` }, data: configData });

    const secretEnv = Object.entries(props.envFromSecrets ?? {}).map(([variable, ref]) => [
      variable,
      kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(this, `secret-${variable}`, ref.name), key: ref.key }),
    ]);
    const containerEnv = Object.entries(props.containerEnv ?? {}).map(([variable, value]) => [variable, kplus.EnvValue.fromValue(value)]);
    // Rolls the pods when the configuration changes (Secrets are referenced, not copied).
    const checksum = createHash("sha256")
      .update(JSON.stringify({ configData, secrets: props.envFromSecrets ?? {}, containerEnv: props.containerEnv ?? {} }))
      .digest("hex");
    const probePort = clusterPort;
    const grace = terminationGracePeriodSeconds(settings);

    this.deployment = new kplus.Deployment(this, "deployment", {
      metadata: { name },
      select: false,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(grace),
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      progressDeadline: Duration.seconds(600),
      minReady: Duration.seconds(0),
      podMetadata: {
        labels,
        annotations: {
          "checksum/config": checksum,
          "kubectl.kubernetes.io/default-container": name,
          // Istio merges these into its own scrape endpoint (:15020/stats/prometheus).
          "prometheus.io/scrape": "true",
          "prometheus.io/port": String(clusterPort),
          "prometheus.io/path": "/metrics",
          // Kubernetes sidecar containers: the proxy starts before the app and stops after it.
          "sidecar.istio.io/nativeSidecar": "true",
        },
      },
      securityContext: { ensureNonRoot: true, user: serviceUserId, group: serviceUserId, fsGroup: serviceUserId },
      containers: [
        {
          name,
          image: props.image,
          imagePullPolicy: props.imagePullPolicy,
          ports: [{ number: clusterPort, name: "http" }],
          envFrom: [kplus.Env.fromConfigMap(this.configMap)],
          // Ordered: a value may refer to a variable above it.
          envVariables: Object.fromEntries([...secretEnv, ...containerEnv]) as Record<string, kplus.EnvValue>,
          resources: {
            cpu: { request: kplus.Cpu.millis(settings.cpuRequestMillis), limit: kplus.Cpu.millis(settings.cpuLimitMillis) },
            memory: {
              request: Size.mebibytes(settings.memoryRequestMebibytes),
              limit: Size.mebibytes(settings.memoryLimitMebibytes),
            },
          },
          securityContext: {
            ensureNonRoot: true,
            user: serviceUserId,
            group: serviceUserId,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
          },
          // Generous start budget (migrations and the first broker connection run before /healthz answers), then quick, cheap checks.
          startup: kplus.Probe.fromHttpGet("/healthz", {
            port: probePort,
            periodSeconds: Duration.seconds(2),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 45,
          }),
          liveness: kplus.Probe.fromHttpGet("/healthz", {
            port: probePort,
            periodSeconds: Duration.seconds(10),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 3,
          }),
          readiness: kplus.Probe.fromHttpGet("/readyz", {
            port: probePort,
            periodSeconds: Duration.seconds(5),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 2,
            successThreshold: 1,
          }),
          lifecycle: { preStop: kplus.Handler.fromCommand(["sleep", String(settings.preStopSeconds)]) },
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: selector }));

    // A writable /tmp on the read-only root filesystem, and the container's log files.
    setEphemeralStorage(this.deployment, {
      request: `${settings.ephemeralStorageRequestMebibytes}Mi`,
      limit: `${settings.ephemeralStorageLimitMebibytes}Mi`,
    });
    const tmp = kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(64) });
    this.deployment.containers[0]!.mount("/tmp", tmp);
    const deploymentObject = ApiObject.of(this.deployment);
    deploymentObject.addJsonPatch(
      // cdk8s-plus always adds its own address label to the pod template; the recommended labels select instead.
      JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr"),
      // cdk8s-plus has no "ALL" capability nor seccompProfile.
      JsonPatch.add("/spec/template/spec/containers/0/securityContext/capabilities", { drop: ["ALL"] }),
      JsonPatch.add("/spec/template/spec/securityContext/seccompProfile", { type: "RuntimeDefault" }),
    );
    if (settings.maxReplicas > 1) {
      // Replicas on different nodes where there are several; a one-node cluster still runs them all.
      // (Patched: cdk8s-plus's spread() selects on its address label, which the pods no longer carry.)
      deploymentObject.addJsonPatch(
        JsonPatch.add("/spec/template/spec/affinity", {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" } },
            ],
          },
        }),
      );
    }

    this.kubeService = new kplus.Service(this, "service", {
      metadata: { name },
      ports: [{ name: "http2", port: clusterPort, targetPort: clusterPort }],
    });
    for (const [key, value] of Object.entries(selector)) this.kubeService.selectLabel(key, value);
    // cdk8s-plus-27's ServicePort has no appProtocol: escape hatch.
    ApiObject.of(this.kubeService).addJsonPatch(JsonPatch.add("/spec/ports/0/appProtocol", serviceAppProtocol));

    new kplus.k8s.KubePodDisruptionBudget(this, "pdb", {
      metadata: { name },
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });

    new kplus.HorizontalPodAutoscaler(this, "hpa", {
      metadata: { name },
      target: this.deployment,
      minReplicas: settings.minReplicas,
      maxReplicas: settings.maxReplicas,
      metrics: [
        kplus.Metric.containerCpu({
          container: this.deployment.containers[0]!,
          target: kplus.MetricTarget.averageUtilization(settings.targetCpuUtilizationPercent),
        }),
      ],
    });

    apiObjectFromModel(this, "virtual-service", serviceVirtualService(service, props.mesh));
    apiObjectFromModel(this, "destination-rule", serviceDestinationRule(service, props.mesh));
    apiObjectFromModel(this, "authorization-policy", serviceAuthorizationPolicy(service, props.mesh, props.extraPrincipals));

    applyRecommendedLabels(this, labels);
  }
}
