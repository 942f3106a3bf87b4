// Deployment settings of each service that the topology table does not carry
// (replicas, resources, shutdown timing, extra configuration), keyed by
// service name. The topology stays the source of truth for who a service is
// and whom it calls; this file only says how big it runs.

import type { ServiceName } from "@meshmart/topology";

export interface ServiceDeploymentSettings {
  /** HPA floor. Two keeps a PodDisruptionBudget satisfiable and gives outlier detection a peer. */
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpuRequestMillis: number;
  readonly cpuLimitMillis: number;
  readonly memoryRequestMebibytes: number;
  readonly memoryLimitMebibytes: number;
  readonly ephemeralStorageRequestMebibytes: number;
  readonly ephemeralStorageLimitMebibytes: number;
  /** HPA target: average CPU of the service container, in percent of its request. */
  readonly targetCpuUtilizationPercent: number;
  /** The service's graceful shutdown budget (SHUTDOWN_TIMEOUT_MS). */
  readonly shutdownTimeoutMs: number;
  /** preStop pause so endpoints and proxies drop the pod before SIGTERM reaches it. */
  readonly preStopSeconds: number;
  readonly logLevel: string;
  /** Extra environment for this service's ConfigMap. */
  readonly env: Readonly<Record<string, string>>;
}

export const defaultServiceDeploymentSettings: ServiceDeploymentSettings = {
  minReplicas: 2,
  maxReplicas: 4,
  cpuRequestMillis: 50,
  cpuLimitMillis: 500,
  memoryRequestMebibytes: 160,
  memoryLimitMebibytes: 320,
  ephemeralStorageRequestMebibytes: 128,
  ephemeralStorageLimitMebibytes: 512,
  targetCpuUtilizationPercent: 70,
  shutdownTimeoutMs: 10_000,
  preStopSeconds: 5,
  logLevel: "info",
  env: {},
};

/** Per-service differences from the defaults. */
export const serviceDeploymentOverrides: Readonly<Record<ServiceName, Partial<ServiceDeploymentSettings>>> = {
  gateway: { maxReplicas: 6 },
  catalog: {},
  inventory: {},
  orders: { maxReplicas: 6, memoryLimitMebibytes: 384 },
  payments: { env: { PAYMENT_DECLINE_RATE: "0.1", PAYMENT_LATENCY_MS: "25" } },
  shipping: { env: { SHIPPING_FAILURE_RATE: "0.05", SHIPPING_LATENCY_MS: "20" } },
  notifications: { minReplicas: 2, maxReplicas: 3 },
  history: {},
};

export function serviceDeploymentSettings(name: ServiceName): ServiceDeploymentSettings {
  const override = serviceDeploymentOverrides[name];
  return { ...defaultServiceDeploymentSettings, ...override, env: { ...defaultServiceDeploymentSettings.env, ...override.env } };
}

/**
 * Seconds Kubernetes waits between the start of termination and SIGKILL: the
 * preStop pause, then the whole shutdown budget, plus a margin for the
 * process to exit and the sidecar to drain.
 */
export function terminationGracePeriodSeconds(settings: Pick<ServiceDeploymentSettings, "preStopSeconds" | "shutdownTimeoutMs">): number {
  return settings.preStopSeconds + Math.ceil(settings.shutdownTimeoutMs / 1000) + 5;
}
