// The whole platform as one cdk8s Chart: the namespace, namespace-wide mesh
// policy and the edge, NetworkPolicies, PostgreSQL and Kafka (in the cluster,
// or outside it: settings.postgres.external / settings.kafka.external), the
// topics, and every service of the topology table.
//
// The chart holds no secret. Each service with a database reads its password
// from the Secret `<service>-database` (key `password`), and PostgreSQL's
// superuser password is in `postgres-credentials` (key `POSTGRES_PASSWORD`);
// both are created at install time (databaseSecretName, scripts/cluster/src/deploy/secrets.ts).

import { Chart, type App } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { databaseClients, kafkaClients } from "@meshmart/mesh/authorization-policy";
import { meshOptions, type MeshOptions } from "@meshmart/mesh/mesh-options";
import { platformPolicies } from "@meshmart/mesh/mesh-policy";
import { serviceNames, services, usesKafka } from "@meshmart/topology";
import { derivedKafkaClusterId } from "./derived-secret.ts";
import { apiObjectFromModel } from "./istio-api-object.ts";
import { Jaeger, jaegerOtlpEndpoint } from "./jaeger.ts";
import { Kafka, kafkaClientPort, kafkaControllerPort } from "./kafka.ts";
import { KafkaTopics, kafkaTopicsName } from "./kafka-topics.ts";
import { applyRecommendedLabels, instanceName, recommendedLabels } from "./labels.ts";
import { Monitoring } from "./monitoring.ts";
import { MeshmartNamespace } from "./namespace.ts";
import { MeshmartService } from "./meshmart-service.ts";
import { MeshmartNetworkPolicies, type Destination } from "./network-policies.ts";
import { Postgres, postgresCredentialsSecret, postgresPort } from "./postgres.ts";
import { serviceDeploymentSettings } from "./service-settings.ts";
import type { PlatformSettings } from "./platform-settings.ts";

export interface MeshmartChartProps {
  readonly settings: PlatformSettings;
}

/** The Secret holding a service's database password (key `password`), created at install time. */
export const databaseSecretName = (service: string): string => `${service}-database`;
export const databasePasswordKey = "password";

/** The mesh options the platform settings imply (namespace, ingress, the issuer's public keys). */
export function meshOptionsFor(settings: PlatformSettings): MeshOptions {
  return meshOptions({ namespace: settings.namespace, ingress: settings.ingress, jwt: settings.jwt });
}

export function serviceImage(settings: Pick<PlatformSettings, "imageRepository" | "imageTag">, service: string): string {
  return `${settings.imageRepository}/${service}:${settings.imageTag}`;
}

/** An IPv4 literal as a /32 block; anything else (a host name) could be any address. */
export function externalCidr(host: string): string {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? `${host}/32` : "0.0.0.0/0";
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
    const managedBy = settings.managedBy;

    const platformLabels = (component: string): Record<string, string> =>
      recommendedLabels({ name: "meshmart", instance: instanceName(namespace, "meshmart"), version: settings.imageTag, component, managedBy });

    new MeshmartNamespace(this, "namespace", { name: namespace, labels: platformLabels("namespace") });
    new PlatformMeshPolicy(this, "mesh", mesh, platformLabels("mesh-policy"));

    const externalPostgres = settings.postgres.external;
    const postgresHost = externalPostgres?.host ?? "postgres";
    const postgresServicePort = externalPostgres?.port ?? postgresPort;
    if (!externalPostgres) {
      new Postgres(this, "postgres", {
        namespace,
        image: settings.postgres.image,
        managedBy,
        databases: databaseClients(),
        passwordSecret: (database) => ({ name: databaseSecretName(database), key: databasePasswordKey }),
        storage: settings.postgres.storage,
        maxConnections: settings.postgres.maxConnections,
        trustDomain: mesh.trustDomain,
      });
    }

    const externalKafka = settings.kafka.external;
    const brokers = externalKafka?.brokers.join(",") ?? `kafka:${kafkaClientPort}`;
    if (!externalKafka) {
      const kafka = new Kafka(this, "kafka", {
        namespace,
        image: settings.kafka.image,
        managedBy,
        replicas: settings.kafka.replicas,
        clusterId: derivedKafkaClusterId("meshmart"), // unique per cluster, which is one per namespace: no need to vary it
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
    }

    const postgresDestination: Destination = externalPostgres ? { kind: "external", cidr: externalPostgres.cidr ?? externalCidr(externalPostgres.host) } : { kind: "pods", name: "postgres" };
    const kafkaDestination: Destination = externalKafka
      ? { kind: "external", cidr: externalKafka.cidr ?? (externalKafka.brokers.length === 1 ? externalCidr(externalKafka.brokers[0]!.split(":")[0]!) : "0.0.0.0/0") }
      : { kind: "pods", name: "kafka" };
    const kafkaPorts = externalKafka ? [...new Set(externalKafka.brokers.map((b) => Number(b.split(":")[1])))] : [kafkaClientPort, kafkaControllerPort];
    const policies = new MeshmartNetworkPolicies(this, "network-policies", {
      namespace,
      postgres: { ...postgresDestination, port: postgresServicePort },
      kafka: { ...kafkaDestination, ports: kafkaPorts },
      ingress: { namespace: mesh.ingress.namespace, selector: mesh.ingress.selector },
      ...(externalKafka ? {} : { topicsJob: kafkaTopicsName }),
    });
    applyRecommendedLabels(policies, platformLabels("network-policy"));

    const observability = settings.observability;
    if (observability.jaeger) {
      new Jaeger(this, "jaeger", { namespace, image: observability.jaegerImage, version: settings.imageTag, managedBy });
    }
    const monitoring = new Monitoring(this, "monitoring", observability);
    applyRecommendedLabels(monitoring, platformLabels("monitoring"));
    // A collector of your own wins; else the in-cluster Jaeger; else no export.
    const otlpEndpoint = observability.otlpEndpoint ?? (observability.jaeger ? jaegerOtlpEndpoint(namespace) : undefined);
    const tracingEnv: Record<string, string> = {
      ...(otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint } : {}),
      OTEL_TRACES_SAMPLER: observability.tracesSampler,
      OTEL_TRACES_SAMPLER_ARG: String(observability.tracesSamplerArg),
    };

    for (const name of serviceNames) {
      const service = services[name];
      const env: Record<string, string> = { ...tracingEnv };
      const envFromSecrets: Record<string, { name: string; key: string }> = {};
      const containerEnv: Record<string, string> = {};
      if (usesKafka(service)) {
        env.KAFKA_BROKERS = brokers;
        env.KAFKA_PARTITIONS = String(settings.kafka.partitions);
      }
      if (service.database) {
        envFromSecrets.DATABASE_PASSWORD = { name: databaseSecretName(name), key: databasePasswordKey };
        // Kubernetes expands $(DATABASE_PASSWORD) from the variable above: the URL never holds the password itself.
        containerEnv.DATABASE_URL = `postgres://${name}:$(DATABASE_PASSWORD)@${postgresHost}:${postgresServicePort}/${name}`;
      }
      if (name === "catalog") env.CATALOG_SEED = String(settings.demoData);
      if (name === "inventory") env.INVENTORY_SEED = String(settings.demoData);
      if (name === "gateway") {
        env.JWT_ISSUER = mesh.jwt.issuer;
        env.JWT_AUDIENCE = mesh.jwt.audience;
        env.JWT_JWKS = mesh.jwt.jwks;
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
        envFromSecrets,
        containerEnv,
      });
    }
  }
}

export { postgresCredentialsSecret };
