// A Job that creates every topic of the topology (and its dead-letter topic
// `<topic>.dlq`) with the Kafka CLI, once the brokers answer. Creation is
// idempotent (--if-not-exists), so the Job can run on every deploy. The
// topics a service rebuilds from (history's projection: the topology's
// retentionForeverTopics) keep their events forever: retention.ms=-1, set on
// every run, so that a topic created before gets it too. Its pod runs with
// Istio's native sidecar, which stops when the Job's container exits, so the
// Job completes.

import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { retentionForeverTopics, services } from "@meshmart/topology";
import { setEphemeralStorage } from "./ephemeral-storage.ts";
import { applyRecommendedLabels, instanceName, recommendedLabels } from "./labels.ts";
import { kafkaClientPort, kafkaContainerSecurity, kafkaUserId, replication } from "./kafka.ts";

export const kafkaTopicsName = "kafka-topics";

/** Every topic the services produce or consume, sorted, each followed by its dead-letter topic. */
export function topicsWithDeadLetters(): string[] {
  const topics = new Set<string>();
  for (const service of Object.values(services)) for (const t of [...service.produces, ...service.consumes]) topics.add(t);
  return [...topics].sort().flatMap((t) => [t, `${t}.dlq`]);
}

export function createTopicsScript(): string {
  return [
    "#!/bin/bash",
    "# Creates the meshmart topics (idempotent). Env: BOOTSTRAP_SERVER, TOPICS, PARTITIONS, REPLICATION_FACTOR,",
    "# RETAINED_TOPICS (kept forever: retention.ms=-1).",
    "set -euo pipefail",
    "topics_cli=/opt/kafka/bin/kafka-topics.sh",
    "configs_cli=/opt/kafka/bin/kafka-configs.sh",
    'until "$topics_cli" --bootstrap-server "$BOOTSTRAP_SERVER" --list >/dev/null; do',
    '  echo "waiting for Kafka at $BOOTSTRAP_SERVER"',
    "  sleep 5",
    "done",
    "for topic in $TOPICS; do",
    '  "$topics_cli" --bootstrap-server "$BOOTSTRAP_SERVER" --create --if-not-exists \\',
    '    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR"',
    "done",
    "for topic in ${RETAINED_TOPICS:-}; do",
    '  "$configs_cli" --bootstrap-server "$BOOTSTRAP_SERVER" --alter --entity-type topics --entity-name "$topic" \\',
    "    --add-config retention.ms=-1",
    "done",
    '"$topics_cli" --bootstrap-server "$BOOTSTRAP_SERVER" --describe',
    "",
  ].join("\n");
}

export interface KafkaTopicsProps {
  readonly namespace: string;
  readonly image: string;
  readonly managedBy: string;
  readonly replicas: number;
  readonly partitions?: number;
  readonly topics?: readonly string[];
  /** Those of `topics` that keep their events forever (default: the topology's retentionForeverTopics). */
  readonly retainedTopics?: readonly string[];
}

export class KafkaTopics extends Construct {
  readonly job: kplus.Job;
  readonly topics: readonly string[];
  readonly retainedTopics: readonly string[];

  constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    const name = kafkaTopicsName;
    this.topics = props.topics ?? topicsWithDeadLetters();
    this.retainedTopics = (props.retainedTopics ?? retentionForeverTopics()).filter((topic) => this.topics.includes(topic));
    const labels = recommendedLabels({
      name,
      instance: instanceName(props.namespace, name),
      version: props.image.split(":")[1] ?? "latest",
      component: "message-broker",
      managedBy: props.managedBy,
    });
    const serviceAccount = new kplus.ServiceAccount(this, "service-account", { metadata: { name }, automountToken: false });
    const script = new kplus.ConfigMap(this, "script", {
      metadata: { name: "kafka-topics-script" },
      data: { "create-topics.sh": createTopicsScript() },
    });

    this.job = new kplus.Job(this, "job", {
      metadata: {
        name,
        annotations: {
          // A Job's pod template is immutable: Helm recreates it on each install/upgrade
          // (kubectl apply ignores these; scripts/deploy.sh deletes the finished Job first).
          "helm.sh/hook": "post-install,post-upgrade",
          "helm.sh/hook-delete-policy": "before-hook-creation",
        },
      },
      select: false,
      backoffLimit: 6,
      activeDeadline: Duration.minutes(15),
      ttlAfterFinished: Duration.hours(1),
      restartPolicy: kplus.RestartPolicy.ON_FAILURE,
      serviceAccount,
      automountServiceAccountToken: false,
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
          command: ["/bin/bash", "/opt/meshmart/create-topics.sh"],
          envVariables: {
            BOOTSTRAP_SERVER: kplus.EnvValue.fromValue(`kafka:${kafkaClientPort}`),
            TOPICS: kplus.EnvValue.fromValue(this.topics.join(" ")),
            RETAINED_TOPICS: kplus.EnvValue.fromValue(this.retainedTopics.join(" ")),
            PARTITIONS: kplus.EnvValue.fromValue(String(props.partitions ?? 3)),
            REPLICATION_FACTOR: kplus.EnvValue.fromValue(String(replication(props.replicas).factor)),
            KAFKA_HEAP_OPTS: kplus.EnvValue.fromValue("-Xms64m -Xmx256m"),
            LOG_DIR: kplus.EnvValue.fromValue("/tmp/kafka-logs"),
          },
          resources: {
            cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(256), limit: Size.mebibytes(384) },
          },
          securityContext: kafkaContainerSecurity,
        },
      ],
    });
    const container = this.job.containers[0]!;
    container.mount("/opt/meshmart", kplus.Volume.fromConfigMap(this, "script-volume", script, { name: "script" }), {
      readOnly: true,
    });
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(64) }));
    setEphemeralStorage(this.job, { request: "64Mi", limit: "256Mi" });
    ApiObject.of(this.job).addJsonPatch(
      JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr"),
      JsonPatch.add("/spec/template/spec/containers/0/securityContext/capabilities", { drop: ["ALL"] }),
      JsonPatch.add("/spec/template/spec/securityContext/seccompProfile", { type: "RuntimeDefault" }),
    );

    applyRecommendedLabels(this, labels);
  }
}
