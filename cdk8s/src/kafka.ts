// Kafka in KRaft mode (no ZooKeeper) as a StatefulSet: every pod is broker and
// controller, the quorum voters are the pods' stable DNS names, and storage is
// formatted on first start with a cluster id derived from the secrets seed.
// Replicas are configurable (one on kind); replication factors follow them.
// Clients bootstrap from kafka:9092; it is in the mesh (mTLS) and only the
// services that produce or consume, the topic Job and the brokers themselves
// may connect.

import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { allowPrincipals } from "@meshmart/mesh/authorization-policy";
import { principal } from "@meshmart/mesh/principal";
import { apiObjectFromModel } from "./istio-api-object.ts";
import { finishStatefulStore } from "./stateful-store.ts";
import { applyRecommendedLabels, instanceName, recommendedLabels, selectorLabels } from "./labels.ts";

export const kafkaClientPort = 9092;
export const kafkaControllerPort = 9093;
/** uid/gid of `appuser` in the apache/kafka image. */
export const kafkaUserId = 1000;

/** The container security of every apache/kafka container (brokers and the topic Job). */
export const kafkaContainerSecurity: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  user: kafkaUserId,
  group: kafkaUserId,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
};
export const kafkaHeadlessService = "kafka-headless";

export interface KafkaProps {
  readonly namespace: string;
  readonly image: string;
  readonly managedBy: string;
  readonly replicas?: number;
  readonly clusterId: string;
  readonly storage?: string;
  /** Service accounts (in the namespace) allowed to connect, besides the brokers themselves. */
  readonly clientServiceAccounts: readonly string[];
  readonly trustDomain?: string;
}

/** Replication settings that a cluster of `replicas` brokers can satisfy. */
export function replication(replicas: number): { factor: number; minInSync: number } {
  const factor = Math.min(replicas, 3);
  return { factor, minInSync: Math.max(1, factor - 1) };
}

/** `0@kafka-0.kafka-headless.<ns>.svc.cluster.local:9093,...` */
export function quorumVoters(namespace: string, replicas: number): string {
  return Array.from(
    { length: replicas },
    (_, i) => `${i}@kafka-${i}.${kafkaHeadlessService}.${namespace}.svc.cluster.local:${kafkaControllerPort}`,
  ).join(",");
}

/** The container's start script: writes server.properties to /tmp, formats storage once, starts the server. */
export function startScript(replicas: number): string {
  const { factor, minInSync } = replication(replicas);
  return [
    "#!/bin/bash",
    "# Starts one KRaft node (broker + controller). The node id is the StatefulSet ordinal.",
    "set -euo pipefail",
    'ordinal="${HOSTNAME##*-}"',
    'fqdn="${HOSTNAME}.${KAFKA_HEADLESS_SERVICE}.${POD_NAMESPACE}.svc.cluster.local"',
    "config=/tmp/server.properties",
    'cat > "$config" <<EOF',
    "process.roles=broker,controller",
    "node.id=${ordinal}",
    "controller.quorum.voters=${KRAFT_QUORUM_VOTERS}",
    `listeners=PLAINTEXT://0.0.0.0:${kafkaClientPort},CONTROLLER://0.0.0.0:${kafkaControllerPort}`,
    `advertised.listeners=PLAINTEXT://\${fqdn}:${kafkaClientPort}`,
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "log.dirs=/var/lib/kafka/data",
    "num.partitions=3",
    `default.replication.factor=${factor}`,
    `min.insync.replicas=${minInSync}`,
    `offsets.topic.replication.factor=${factor}`,
    `transaction.state.log.replication.factor=${factor}`,
    `transaction.state.log.min.isr=${minInSync}`,
    "auto.create.topics.enable=false",
    "group.initial.rebalance.delay.ms=0",
    "EOF",
    '/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$KRAFT_CLUSTER_ID" -c "$config"',
    'exec /opt/kafka/bin/kafka-server-start.sh "$config"',
    "",
  ].join("\n");
}

export class Kafka extends Construct {
  readonly statefulSet: kplus.StatefulSet;
  readonly kubeService: kplus.Service;
  readonly replicas: number;
  /** Labels every Kafka-related object carries (also used by the topic Job). */
  readonly labels: Record<string, string>;

  constructor(scope: Construct, id: string, props: KafkaProps) {
    super(scope, id);
    const name = "kafka";
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`Kafka replicas must be >= 1, got ${replicas}`);
    this.replicas = replicas;
    const labels = recommendedLabels({
      name,
      instance: instanceName(props.namespace, name),
      version: props.image.split(":")[1] ?? "latest",
      component: "message-broker",
      managedBy: props.managedBy,
    });
    this.labels = labels;
    const selector = selectorLabels(labels);

    const serviceAccount = new kplus.ServiceAccount(this, "service-account", { metadata: { name }, automountToken: false });
    const script = new kplus.ConfigMap(this, "scripts", {
      metadata: { name: "kafka-scripts" },
      data: { "start-kafka.sh": startScript(replicas) },
    });

    const ports = [
      { name: "tcp-kafka", port: kafkaClientPort, targetPort: kafkaClientPort },
      { name: "tcp-controller", port: kafkaControllerPort, targetPort: kafkaControllerPort },
    ];
    const headless = new kplus.Service(this, "headless", {
      metadata: { name: kafkaHeadlessService },
      clusterIP: "None",
      ports,
    });
    // Peers must resolve each other before they are ready, or the quorum never forms.
    ApiObject.of(headless).addJsonPatch(JsonPatch.add("/spec/publishNotReadyAddresses", true));
    this.kubeService = new kplus.Service(this, "service", { metadata: { name }, ports: [ports[0]!] });
    for (const svc of [headless, this.kubeService]) {
      for (const [key, value] of Object.entries(selector)) svc.selectLabel(key, value);
      const count = svc === headless ? ports.length : 1;
      for (let i = 0; i < count; i++) ApiObject.of(svc).addJsonPatch(JsonPatch.add(`/spec/ports/${i}/appProtocol`, "tcp"));
    }

    // Exec probes that open the node's ports on localhost: they run inside the container, so
    // neither the sidecar's inbound capture nor mTLS can make them pass or fail for the wrong reason.
    // Live: the broker listens. Ready: the controller (KRaft quorum) listener is up as well.
    const portsOpen = (ports: number[]) => ["/bin/bash", "-c", ports.map((p) => `exec 3<>/dev/tcp/127.0.0.1/${p}`).join(" && ")];
    const probe = (command: string[], period: number, failureThreshold: number, timeout = 3): kplus.Probe =>
      kplus.Probe.fromCommand(command, {
        periodSeconds: Duration.seconds(period),
        timeoutSeconds: Duration.seconds(timeout),
        failureThreshold,
      });
    const brokerListens = portsOpen([kafkaClientPort]);
    const nodeListens = portsOpen([kafkaClientPort, kafkaControllerPort]);

    this.statefulSet = new kplus.StatefulSet(this, "statefulset", {
      metadata: { name },
      service: headless,
      select: false,
      replicas,
      podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
      serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(60),
      podMetadata: {
        labels,
        annotations: { "kubectl.kubernetes.io/default-container": name, "sidecar.istio.io/nativeSidecar": "true" },
      },
      securityContext: { ensureNonRoot: true, user: kafkaUserId, group: kafkaUserId, fsGroup: kafkaUserId },
      containers: [
        {
          name,
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: ["/bin/bash", "/opt/meshmart/start-kafka.sh"],
          ports: [
            { number: kafkaClientPort, name: "tcp-kafka" },
            { number: kafkaControllerPort, name: "tcp-controller" },
          ],
          envVariables: {
            POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
            KAFKA_HEADLESS_SERVICE: kplus.EnvValue.fromValue(kafkaHeadlessService),
            KRAFT_QUORUM_VOTERS: kplus.EnvValue.fromValue(quorumVoters(props.namespace, replicas)),
            KRAFT_CLUSTER_ID: kplus.EnvValue.fromValue(props.clusterId),
            KAFKA_HEAP_OPTS: kplus.EnvValue.fromValue("-Xms256m -Xmx512m"),
            // kafka-run-class.sh writes its log files here; the root filesystem is read-only.
            LOG_DIR: kplus.EnvValue.fromValue("/tmp/kafka-logs"),
          },
          resources: {
            cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.millis(1000) },
            memory: { request: Size.mebibytes(768), limit: Size.mebibytes(1024) },
          },
          securityContext: kafkaContainerSecurity,
          startup: probe(brokerListens, 5, 60),
          readiness: probe(nodeListens, 5, 3),
          liveness: probe(brokerListens, 20, 6, 5),
        },
      ],
    });
    this.statefulSet.select(kplus.LabelSelector.of({ labels: selector }));
    const container = this.statefulSet.containers[0]!;
    container.mount("/opt/meshmart", kplus.Volume.fromConfigMap(this, "scripts-volume", script, { name: "scripts" }), {
      readOnly: true,
    });
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(256) }));
    finishStatefulStore(this, this.statefulSet, { name, headless, selector, ephemeralStorage: { request: "256Mi", limit: "1Gi" }, dataPath: "/var/lib/kafka/data", storage: props.storage });

    apiObjectFromModel(
      this,
      "authorization-policy",
      allowPrincipals({
        name,
        namespace: props.namespace,
        selector,
        principals: [name, ...props.clientServiceAccounts].map((sa) => principal(props.namespace, sa, props.trustDomain)),
      }),
    );

    applyRecommendedLabels(this, labels);
  }
}
