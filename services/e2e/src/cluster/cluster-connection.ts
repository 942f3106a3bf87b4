// How the demo, verify and the scenarios reach a deployed platform from this
// machine: through the Kubernetes API of a kubeconfig context. Every service
// is forwarded in-process to its `make port-forward ARGS=--all` port (local
// port + 1000: gateway 9080, catalog 9081, ...), a Ready pod per connection;
// tokens are signed with the installation's key pair (`make deploy` names it
// after the context); consumer lag is read with a Kafka client when the
// brokers are outside the cluster (EXTERNAL_KAFKA), else with
// kafka-consumer-groups.sh in the Kafka pod.
import * as k8s from "@kubernetes/client-node";
import { serviceNames, type ServiceName } from "@meshmart/topology";
import { devToken } from "@meshmart/dev-identity/dev-token";
import type { AcceptedOrder } from "../invariants.ts";
import { verify, type Verdict } from "../verify.ts";
import { forwardedServices, openServiceForwards } from "./cluster-port-forward.ts";
import { verifyOnCluster } from "./cluster-verify.ts";
import { clientNodeOps, type KubeOps } from "./kube-ops.ts";

export interface ClusterConnectionOptions {
  readonly context: string;
  readonly namespace?: string;
  /** Local port = the service's localPort + this (default 1000). */
  readonly portOffset?: number;
  readonly log?: (line: string) => void;
}

export interface ClusterConnection {
  readonly context: string;
  readonly ops: KubeOps;
  readonly urls: Record<ServiceName, string>;
  /** Kafka brokers reachable from here, when Kafka is outside the cluster. */
  readonly externalBrokers?: string[];
  token(subject: string, ttlSeconds?: number): Promise<string>;
  verify(accepted: AcceptedOrder[], restTimeoutMs?: number): Promise<Verdict>;
  close(): Promise<void>;
}

/** A --port-offset flag's value (the `make port-forward` convention: 1000 when absent). */
export function parsePortOffset(value: string | undefined): number {
  const offset = Number(value ?? 1000);
  if (!Number.isInteger(offset) || offset < 0 || offset > 55_000) throw new Error(`--port-offset needs a whole number from 0 to 55000, not "${value}"`);
  return offset;
}

/** Brokers named by a cluster-internal Service (kafka:9092) are reachable only from inside. */
export function brokersOutsideCluster(brokers: string): string[] | undefined {
  const list = brokers.split(",").map((b) => b.trim()).filter(Boolean);
  const inside = list.some((b) => !b.split(":")[0]!.includes(".") || b.includes(".svc"));
  return list.length > 0 && !inside ? list : undefined;
}

export async function connectToCluster(options: ClusterConnectionOptions): Promise<ClusterConnection> {
  const log = options.log ?? (() => {});
  const namespace = options.namespace ?? "meshmart";
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromDefault();
  if (!kubeconfig.getContexts().some((c) => c.name === options.context)) {
    throw new Error(`no kubeconfig context ${options.context} (kubectl config get-contexts lists them)`);
  }
  kubeconfig.setCurrentContext(options.context);
  const ops = clientNodeOps(namespace, kubeconfig);
  const config = await ops.readConfigMap("orders-config");
  const externalBrokers = brokersOutsideCluster(config.KAFKA_BROKERS ?? "");
  const forwards = await openServiceForwards({ ops, offset: options.portOffset ?? 1000, dryRun: false, log, services: ["gateway", ...forwardedServices] });
  return {
    context: options.context,
    ops,
    urls: forwards.urls,
    ...(externalBrokers ? { externalBrokers } : {}),
    token: (subject, ttlSeconds = 3_600) => devToken({ subject, ttlSeconds, keyName: options.context }),
    verify: async (accepted, restTimeoutMs) => {
      if (!externalBrokers) return verifyOnCluster({ ops, urls: forwards.urls, accepted, log, ...(restTimeoutMs ? { restTimeoutMs } : {}) });
      const env = { ...Object.fromEntries(serviceNames.map((n) => [`${n.toUpperCase()}_URL`, forwards.urls[n]])), KAFKA_BROKERS: externalBrokers.join(",") };
      return verify({ env, brokers: externalBrokers, accepted, log, ...(restTimeoutMs ? { restTimeoutMs } : {}) });
    },
    close: () => forwards.close(),
  };
}
