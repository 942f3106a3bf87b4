// Settings of one deployment of the platform (namespace, images, Kafka and
// PostgreSQL in the cluster or outside it, the token issuer's public key),
// with the defaults a kind cluster wants. The cdk8s app reads overrides from
// the environment (see `settingsFromEnv`).
//
// No setting is a secret: the synth carries no password and no signing key.
// Passwords live in Secrets created at install time (scripts/cluster/src/deploy/secrets.ts,
// or the Helm chart's generated Secrets); the JWT settings hold only the
// issuer's public key set.

import { infrastructureVersions } from "@meshmart/topology";
import { defaultMeshOptions, type IngressOptions } from "@meshmart/mesh/mesh-options";
import { ensureSigningKey, keyDirectory } from "@meshmart/dev-identity/signing-key";

export const images = {
  /** The version `make dev` runs too (infrastructureVersions in the topology). */
  kafka: `apache/kafka:${infrastructureVersions.kafka}`,
  postgres: `postgres:${infrastructureVersions.postgres}`,
  /** Jaeger v2 (release 2.13.0), the version `make dev` builds from the Go module proxy (JAEGER_VERSION in scripts/tools/versions.sh). */
  jaeger: "jaegertracing/jaeger:2.13.0",
} as const;

/** A PostgreSQL server outside the cluster (a managed database, or the host of a local cluster). */
export interface ExternalPostgres {
  readonly host: string;
  readonly port: number;
  /** Where the NetworkPolicies let the services connect to; default: the host as a /32 when it is an IPv4 address, else anywhere. */
  readonly cidr?: string;
}

/** Kafka brokers outside the cluster. */
export interface ExternalKafka {
  /** host:port bootstrap addresses. */
  readonly brokers: readonly string[];
  /** As ExternalPostgres.cidr; default: the one broker's /32 when it is an IPv4 address, else anywhere. */
  readonly cidr?: string;
}

export interface PlatformSettings {
  readonly namespace: string;
  /** Services' images are `<repository>/<service>:<tag>`. */
  readonly imageRepository: string;
  readonly imageTag: string;
  readonly imagePullPolicy: "IfNotPresent" | "Always" | "Never";
  /** Value of app.kubernetes.io/managed-by. */
  readonly managedBy: string;
  /** Seed the catalog's demo products and their stock (what `make demo` orders); for development clusters. */
  readonly demoData: boolean;
  readonly kafka: {
    readonly replicas: number;
    readonly partitions: number;
    readonly storage: string;
    readonly image: string;
    /** Set: no Kafka StatefulSet, Services or topic Job; the services use these brokers (and create their topics). */
    readonly external?: ExternalKafka;
  };
  readonly postgres: {
    readonly storage: string;
    readonly image: string;
    readonly maxConnections: number;
    /** Set: no PostgreSQL StatefulSet; each service connects to `<service>` on this server. */
    readonly external?: ExternalPostgres;
  };
  readonly ingress: IngressOptions;
  readonly observability: {
    /**
     * A Jaeger (in-memory store, no sidecar) in the namespace: the services
     * export their spans to it and Istio's proxies trace to it.
     */
    readonly jaeger: boolean;
    readonly jaegerImage: string;
    /** An OTLP/HTTP receiver of your own (used when `jaeger` is off), e.g. http://otel-collector.monitoring:4318. */
    readonly otlpEndpoint?: string;
    /** OTEL_TRACES_SAMPLER and its argument for every service. */
    readonly tracesSampler: string;
    readonly tracesSamplerArg: number;
    /** The SLO recording and alerting rules as a PrometheusRule (prometheus-operator's CRD). */
    readonly prometheusRules: boolean;
    /** A PodMonitor for prometheus-operator, beside the prometheus.io/* scrape annotations every pod carries. */
    readonly podMonitor: boolean;
    /** The Grafana dashboards as ConfigMaps labelled grafana_dashboard=1 (Grafana's dashboard sidecar). */
    readonly dashboards: boolean;
  };
  readonly jwt: {
    readonly issuer: string;
    readonly audience: string;
    /** The token issuer's public keys, a JSON Web Key Set (`{"keys":[...]}`). */
    readonly jwks: string;
  };
}

export type PlatformProps = Partial<Omit<PlatformSettings, "kafka" | "postgres" | "ingress" | "jwt" | "observability">> & {
  readonly observability?: Partial<PlatformSettings["observability"]>;
  readonly kafka?: Partial<PlatformSettings["kafka"]>;
  readonly postgres?: Partial<PlatformSettings["postgres"]>;
  readonly ingress?: Partial<IngressOptions>;
  /** jwks is required: the token issuer's public key set. */
  readonly jwt: Partial<PlatformSettings["jwt"]> & { readonly jwks: string };
};

export const defaultPlatformSettings: Omit<PlatformSettings, "jwt"> & { jwt: Omit<PlatformSettings["jwt"], "jwks"> } = {
  namespace: "meshmart",
  imageRepository: "meshmart",
  imageTag: "dev",
  imagePullPolicy: "IfNotPresent",
  managedBy: "cdk8s",
  demoData: true,
  kafka: { replicas: 1, partitions: 3, storage: "2Gi", image: images.kafka },
  postgres: { storage: "2Gi", image: images.postgres, maxConnections: 300 },
  ingress: defaultMeshOptions.ingress,
  observability: {
    jaeger: true,
    jaegerImage: images.jaeger,
    tracesSampler: "parentbased_always_on",
    tracesSamplerArg: 1,
    prometheusRules: true,
    podMonitor: false,
    dashboards: true,
  },
  /** The gateway service's defaults (services/gateway/src/gateway-config.ts). */
  jwt: { issuer: "meshmart", audience: "meshmart-api" },
};

export function platformSettings(props: PlatformProps): PlatformSettings {
  const d = defaultPlatformSettings;
  const settings: PlatformSettings = {
    ...d,
    ...props,
    kafka: { ...d.kafka, ...props.kafka },
    postgres: { ...d.postgres, ...props.postgres },
    ingress: { ...d.ingress, ...props.ingress },
    observability: { ...d.observability, ...props.observability },
    jwt: { ...d.jwt, ...props.jwt },
  };
  parseJwks(settings.jwt.jwks);
  return settings;
}

/** Checks that `jwks` is a key set of public keys only (a private key must never reach a manifest). */
export function parseJwks(jwks: string): { keys: Array<Record<string, unknown>> } {
  let parsed: { keys?: unknown };
  try {
    parsed = JSON.parse(jwks) as { keys?: unknown };
  } catch {
    throw new Error("jwt.jwks is not JSON: it must be a JSON Web Key Set such as {\"keys\":[{...}]}");
  }
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new Error("jwt.jwks must hold at least one key ({\"keys\":[...]})");
  for (const key of parsed.keys as Array<Record<string, unknown>>) {
    if (key.kty === "oct" || "d" in key || "k" in key) throw new Error("jwt.jwks must hold public keys only: a symmetric or private key would let anyone who reads the manifests sign tokens");
  }
  return parsed as { keys: Array<Record<string, unknown>> };
}

/** host:port -> { host, port }; throws a readable error otherwise. */
export function parseHostPort(text: string, what: string, defaultPort?: number): { host: string; port: number } {
  const match = /^([A-Za-z0-9.-]+)(?::(\d+))?$/.exec(text.trim());
  const port = match?.[2] !== undefined ? Number(match[2]) : defaultPort;
  if (!match || port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${what} must be host:port (got ${JSON.stringify(text)})`);
  }
  return { host: match[1]!, port };
}

/**
 * Overrides from the environment: MESHMART_NAMESPACE, IMAGE_REPOSITORY,
 * IMAGE_TAG, IMAGE_PULL_POLICY, KAFKA_REPLICAS, MESHMART_DEMO_DATA (true|false), EXTERNAL_POSTGRES
 * (host:port), EXTERNAL_KAFKA (host:port,...), MESHMART_JAEGER, MESHMART_JAEGER_IMAGE (the
 * local cluster's own build, say), MESHMART_PROMETHEUS_RULES,
 * MESHMART_POD_MONITOR, MESHMART_DASHBOARDS (true|false), OTEL_EXPORTER_OTLP_ENDPOINT
 * (a collector of your own), OTEL_TRACES_SAMPLER(_ARG), and the token issuer's public
 * keys: MESHMART_JWKS (the set itself), else the key pair of
 * MESHMART_KEY_NAME (default "default") under .local/keys/, created when
 * missing (see token-signing-key.ts).
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): PlatformSettings {
  const pick = (name: string): string | undefined => (env[name] === undefined || env[name].trim() === "" ? undefined : env[name].trim());
  const replicasText = pick("KAFKA_REPLICAS");
  const replicas = replicasText === undefined ? undefined : Number(replicasText);
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1)) {
    throw new Error(`KAFKA_REPLICAS must be a whole number >= 1, got ${JSON.stringify(env.KAFKA_REPLICAS)}`);
  }
  const pullPolicy = pick("IMAGE_PULL_POLICY");
  if (pullPolicy !== undefined && !["IfNotPresent", "Always", "Never"].includes(pullPolicy)) {
    throw new Error(`IMAGE_PULL_POLICY must be IfNotPresent, Always or Never, got ${JSON.stringify(pullPolicy)}`);
  }
  const flag = (name: string): boolean | undefined => {
    const value = pick(name);
    if (value !== undefined && !["true", "false"].includes(value)) throw new Error(`${name} must be true or false, got ${JSON.stringify(value)}`);
    return value === undefined ? undefined : value === "true";
  };
  const demoData = pick("MESHMART_DEMO_DATA");
  if (demoData !== undefined && !["true", "false"].includes(demoData)) throw new Error(`MESHMART_DEMO_DATA must be true or false, got ${JSON.stringify(demoData)}`);
  const samplerArg = pick("OTEL_TRACES_SAMPLER_ARG");
  if (samplerArg !== undefined && !(Number(samplerArg) >= 0 && Number(samplerArg) <= 1)) throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1, got ${JSON.stringify(samplerArg)}`);
  const observability: Partial<PlatformSettings["observability"]> = Object.fromEntries(
    Object.entries({
      jaeger: flag("MESHMART_JAEGER"),
      jaegerImage: pick("MESHMART_JAEGER_IMAGE"),
      prometheusRules: flag("MESHMART_PROMETHEUS_RULES"),
      podMonitor: flag("MESHMART_POD_MONITOR"),
      dashboards: flag("MESHMART_DASHBOARDS"),
      otlpEndpoint: pick("OTEL_EXPORTER_OTLP_ENDPOINT"),
      tracesSampler: pick("OTEL_TRACES_SAMPLER"),
      tracesSamplerArg: samplerArg === undefined ? undefined : Number(samplerArg),
    }).filter(([, v]) => v !== undefined),
  );
  const externalPostgres = pick("EXTERNAL_POSTGRES");
  const externalKafka = pick("EXTERNAL_KAFKA");
  const namespace = pick("MESHMART_NAMESPACE");
  const imageRepository = pick("IMAGE_REPOSITORY");
  const imageTag = pick("IMAGE_TAG");
  const jwks = pick("MESHMART_JWKS") ?? ensureSigningKey(keyDirectory(pick("MESHMART_KEY_NAME") ?? "default", env)).jwks;
  return platformSettings({
    ...(namespace ? { namespace } : {}),
    ...(imageRepository ? { imageRepository } : {}),
    ...(imageTag ? { imageTag } : {}),
    ...(demoData ? { demoData: demoData === "true" } : {}),
    ...(pullPolicy ? { imagePullPolicy: pullPolicy as PlatformSettings["imagePullPolicy"] } : {}),
    kafka: {
      ...(replicas ? { replicas } : {}),
      ...(externalKafka
        ? { external: { brokers: externalKafka.split(",").map((b) => { const { host, port } = parseHostPort(b, "EXTERNAL_KAFKA", 9092); return `${host}:${port}`; }) } }
        : {}),
    },
    postgres: externalPostgres ? { external: parseHostPort(externalPostgres, "EXTERNAL_POSTGRES", 5432) } : {},
    observability,
    jwt: { jwks },
  });
}
