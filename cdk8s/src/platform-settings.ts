// Settings of one deployment of the platform (namespace, images, secrets seed,
// Kafka and Postgres sizing), with the defaults a kind cluster wants. The cdk8s
// app reads overrides from the environment (see `settingsFromEnv`).

import { defaultMeshOptions, type IngressOptions } from "@meshmart/mesh/mesh-options";

export const images = {
  /** kafkajs speaks the Kafka 3.x protocol; 3.9 is the last 3.x line and runs KRaft. */
  kafka: "apache/kafka:3.9.1",
  /** Same major as the embedded PostgreSQL `make dev` uses. */
  postgres: "postgres:18.4",
} as const;

export interface PlatformSettings {
  readonly namespace: string;
  /** Services' images are `<repository>/<service>:<tag>`. */
  readonly imageRepository: string;
  readonly imageTag: string;
  readonly imagePullPolicy: "IfNotPresent" | "Always" | "Never";
  /** Value of app.kubernetes.io/managed-by. */
  readonly managedBy: string;
  /** Every password, the JWT secret and the Kafka cluster id derive from this seed. */
  readonly secretSeed: string;
  readonly kafka: {
    readonly replicas: number;
    readonly partitions: number;
    readonly storage: string;
    readonly image: string;
  };
  readonly postgres: {
    readonly storage: string;
    readonly image: string;
    readonly maxConnections: number;
  };
  readonly ingress: IngressOptions;
  readonly jwt: { readonly issuer: string; readonly audience: string };
}

export const defaultPlatformSettings: PlatformSettings = {
  namespace: "meshmart",
  imageRepository: "meshmart",
  imageTag: "dev",
  imagePullPolicy: "IfNotPresent",
  managedBy: "cdk8s",
  secretSeed: "meshmart-dev-only",
  kafka: { replicas: 1, partitions: 3, storage: "2Gi", image: images.kafka },
  postgres: { storage: "2Gi", image: images.postgres, maxConnections: 300 },
  ingress: defaultMeshOptions.ingress,
  /** The gateway service's defaults (services/gateway/src/gateway-config.ts). */
  jwt: { issuer: "meshmart", audience: "meshmart-api" },
};

export type PlatformProps = Partial<Omit<PlatformSettings, "kafka" | "postgres" | "ingress" | "jwt">> & {
  readonly kafka?: Partial<PlatformSettings["kafka"]>;
  readonly postgres?: Partial<PlatformSettings["postgres"]>;
  readonly ingress?: Partial<IngressOptions>;
  readonly jwt?: Partial<PlatformSettings["jwt"]>;
};

export function platformSettings(props: PlatformProps = {}): PlatformSettings {
  const d = defaultPlatformSettings;
  return {
    ...d,
    ...props,
    kafka: { ...d.kafka, ...props.kafka },
    postgres: { ...d.postgres, ...props.postgres },
    ingress: { ...d.ingress, ...props.ingress },
    jwt: { ...d.jwt, ...props.jwt },
  };
}

/**
 * Overrides from the environment: MESHMART_NAMESPACE, IMAGE_REPOSITORY,
 * IMAGE_TAG, MESHMART_SECRET_SEED, KAFKA_REPLICAS.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): PlatformSettings {
  const replicas = env.KAFKA_REPLICAS === undefined || env.KAFKA_REPLICAS === "" ? undefined : Number(env.KAFKA_REPLICAS);
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1)) {
    throw new Error(`KAFKA_REPLICAS must be a whole number >= 1, got ${JSON.stringify(env.KAFKA_REPLICAS)}`);
  }
  const pick = (name: string): string | undefined => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  const namespace = pick("MESHMART_NAMESPACE");
  const imageRepository = pick("IMAGE_REPOSITORY");
  const imageTag = pick("IMAGE_TAG");
  const secretSeed = pick("MESHMART_SECRET_SEED");
  return platformSettings({
    ...(namespace ? { namespace } : {}),
    ...(imageRepository ? { imageRepository } : {}),
    ...(imageTag ? { imageTag } : {}),
    ...(secretSeed ? { secretSeed } : {}),
    ...(replicas ? { kafka: { replicas } } : {}),
  });
}
