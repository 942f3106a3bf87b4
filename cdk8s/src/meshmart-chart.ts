// The whole platform as one cdk8s Chart: the namespace, namespace-wide mesh
// policy and the edge, PostgreSQL, Kafka and its topics, and every service of
// the topology table.

import { Chart, type App } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { databaseClients, kafkaClients } from "@meshmart/mesh/authorization-policy";
import { meshOptions, type MeshOptions } from "@meshmart/mesh/mesh-options";
import { platformPolicies } from "@meshmart/mesh/mesh-policy";
import { serviceNames, services } from "@meshmart/platform/topology";
import { derivedKafkaClusterId, derivedSecret } from "./derived-secret.ts";
import { apiObjectFromModel } from "./istio-api-object.ts";
import { Kafka, kafkaClientPort } from "./kafka.ts";
import { KafkaTopics, kafkaTopicsName } from "./kafka-topics.ts";
import { applyRecommendedLabels, instanceName, recommendedLabels } from "./labels.ts";
import { MeshmartNamespace } from "./namespace.ts";
import { MeshmartService } from "./meshmart-service.ts";
import { Postgres, databaseUrl } from "./postgres.ts";
import { serviceDeploymentSettings } from "./service-settings.ts";
import type { PlatformSettings } from "./platform-settings.ts";

export interface MeshmartChartProps {
  readonly settings: PlatformSettings;
}

/** The mesh options the platform settings imply (namespace, ingress, JWT from the seed). */
export function meshOptionsFor(settings: PlatformSettings): MeshOptions {
  return meshOptions({
    namespace: settings.namespace,
    ingress: settings.ingress,
    jwt: { ...settings.jwt, secret: jwtSecret(settings), keyId: "meshmart" },
  });
}

export function jwtSecret(settings: Pick<PlatformSettings, "secretSeed">): string {
  return derivedSecret(settings.secretSeed, "gateway/jwt", 43);
}

export function serviceImage(settings: Pick<PlatformSettings, "imageRepository" | "imageTag">, service: string): string {
  return `${settings.imageRepository}/${service}:${settings.imageTag}`;
}

/** Mesh-wide Istio policy and the edge, labelled as the platform's. */
class PlatformMeshPolicy extends Construct {
  constructor(scope: Construct, id: string, mesh: MeshOptions, labels: Record<string, string>) {
    super(scope, id);
    for (const model of platformPolicies(mesh)) {
      const json = model.toJSON() as { kind: string; metadata?: { name?: string } };
      apiObjectFromModel(this, `${json.kind}-${json.metadata?.name ?? ""}`, model);
    }
    applyRecommendedLabels(this, labels);
  }
}

export class MeshmartChart extends Chart {
  readonly mesh: MeshOptions;

  constructor(scope: App, id: string, props: MeshmartChartProps) {
    const { settings } = props;
    const namespace = settings.namespace;
    super(scope, id, { namespace, disableResourceNameHashes: true });
    const mesh = meshOptionsFor(settings);
    this.mesh = mesh;
    const seed = settings.secretSeed;
    const managedBy = settings.managedBy;

    const platformLabels = (component: string): Record<string, string> =>
      recommendedLabels({ name: "meshmart", instance: instanceName(namespace, "meshmart"), version: settings.imageTag, component, managedBy });

    new MeshmartNamespace(this, "namespace", { name: namespace, labels: platformLabels("namespace") });
    new PlatformMeshPolicy(this, "mesh", mesh, platformLabels("mesh-policy"));

    const databases = Object.fromEntries(databaseClients().map((name) => [name, derivedSecret(seed, `postgres/${name}`)]));
    new Postgres(this, "postgres", {
      namespace,
      image: settings.postgres.image,
      managedBy,
      superuserPassword: derivedSecret(seed, "postgres/superuser"),
      databases,
      storage: settings.postgres.storage,
      maxConnections: settings.postgres.maxConnections,
      trustDomain: mesh.trustDomain,
    });

    const kafka = new Kafka(this, "kafka", {
      namespace,
      image: settings.kafka.image,
      managedBy,
      replicas: settings.kafka.replicas,
      clusterId: derivedKafkaClusterId(seed),
      storage: settings.kafka.storage,
      clientServiceAccounts: [...kafkaClients(), kafkaTopicsName],
      trustDomain: mesh.trustDomain,
    });
    new KafkaTopics(this, "kafka-topics", {
      namespace,
      image: settings.kafka.image,
      managedBy,
      replicas: kafka.replicas,
      partitions: settings.kafka.partitions,
    });

    for (const name of serviceNames) {
      const service = services[name];
      const env: Record<string, string> = {};
      const secretEnv: Record<string, string> = {};
      if (service.produces.length > 0 || service.consumes.length > 0) {
        env.KAFKA_BROKERS = `kafka:${kafkaClientPort}`;
        env.KAFKA_PARTITIONS = String(settings.kafka.partitions);
      }
      const password = databases[name];
      if (service.database && password !== undefined) secretEnv.DATABASE_URL = databaseUrl(name, password);
      if (name === "gateway") {
        env.JWT_ISSUER = mesh.jwt.issuer;
        env.JWT_AUDIENCE = mesh.jwt.audience;
        secretEnv.JWT_SECRET = mesh.jwt.secret;
      }
      new MeshmartService(this, name, {
        service,
        namespace,
        image: serviceImage(settings, name),
        imagePullPolicy: settings.imagePullPolicy as kplus.ImagePullPolicy,
        version: settings.imageTag,
        managedBy,
        settings: serviceDeploymentSettings(name),
        mesh,
        env,
        secretEnv,
      });
    }
  }
}
