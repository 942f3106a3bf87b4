// NetworkPolicies: the namespace denies all traffic by default, in and out;
// then each workload is allowed exactly what the topology table says it
// needs. A service accepts its callers (callersOf) and reaches its callees,
// its database and Kafka; PostgreSQL accepts the services with a database;
// Kafka accepts its producers and consumers, the topic Job and its peers.
// Every pod may resolve names (port 53), and reach Istio's control plane so
// that its sidecar gets configuration and certificates.
//
// These are layer-4 rules enforced by the CNI (kind's kindnet, Calico,
// Cilium); Istio's AuthorizationPolicies enforce the same callers by mTLS
// identity on top. A CNI without NetworkPolicy support (the plain bridge
// plugin of the local cluster) accepts them and enforces nothing.

import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { callersOf, clusterPort, services, serviceNames, usesKafka, type ServiceDescription } from "@meshmart/topology";
import { instanceName } from "./labels.ts";

type Peer = kplus.k8s.NetworkPolicyPeer;
type Port = kplus.k8s.NetworkPolicyPort;

/** Where a dependency is: pods in the namespace (by name label), or addresses outside the cluster. */
export type Destination = { readonly kind: "pods"; readonly name: string } | { readonly kind: "external"; readonly cidr: string };

export interface NetworkPoliciesProps {
  readonly namespace: string;
  readonly postgres: Destination & { readonly port: number };
  readonly kafka: Destination & { readonly ports: readonly number[] };
  /** The Istio ingress gateway: namespace and pod labels. */
  readonly ingress: { readonly namespace: string; readonly selector: Readonly<Record<string, string>> };
  /** Namespace of istiod (its xDS and CA port 15012). */
  readonly istioNamespace?: string;
  /** Whether the topic Job runs (in-cluster Kafka). */
  readonly topicsJob?: string;
}

const tcp = (port: number): Port => ({ protocol: "TCP", port: kplus.k8s.IntOrString.fromNumber(port) });

export class MeshmartNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const ns = props.namespace;
    const podsNamed = (name: string): Peer => ({
      podSelector: { matchLabels: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instanceName(ns, name) } },
    });
    const peer = (d: Destination): Peer => (d.kind === "pods" ? podsNamed(d.name) : { ipBlock: { cidr: d.cidr } });
    const selectPods = (name: string) => podsNamed(name).podSelector!;
    const policy = (name: string, spec: kplus.k8s.NetworkPolicySpec) =>
      new kplus.k8s.KubeNetworkPolicy(this, name, { metadata: { name }, spec });

    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    policy("allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      // Any resolver: cluster DNS may be CoreDNS pods, a node-local cache or a host process.
      egress: [{ ports: [{ protocol: "UDP", port: kplus.k8s.IntOrString.fromNumber(53) }, tcp(53)] }],
    });
    policy("allow-istio-control-plane", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": props.istioNamespace ?? "istio-system" } } }],
          ports: [tcp(15012)],
        },
      ],
    });

    const databaseEgress = { to: [peer(props.postgres)], ports: [tcp(props.postgres.port)] };
    const kafkaEgress = { to: [peer(props.kafka)], ports: props.kafka.ports.map(tcp) };
    for (const name of serviceNames) {
      const service: ServiceDescription = services[name];
      const from: Peer[] = callersOf(name).map(podsNamed);
      if (name === "gateway") {
        from.push({
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": props.ingress.namespace } },
          podSelector: { matchLabels: { ...props.ingress.selector } },
        });
      }
      const egress: kplus.k8s.NetworkPolicyEgressRule[] = service.calls.map((callee) => ({ to: [podsNamed(callee)], ports: [tcp(clusterPort)] }));
      if (service.database) egress.push(databaseEgress);
      if (usesKafka(service)) egress.push(kafkaEgress);
      policy(name, {
        podSelector: selectPods(name),
        policyTypes: ["Ingress", "Egress"],
        ...(from.length > 0 ? { ingress: [{ from, ports: [tcp(clusterPort)] }] } : {}),
        ...(egress.length > 0 ? { egress } : {}),
      });
    }

    if (props.postgres.kind === "pods") {
      const clients = serviceNames.filter((n) => services[n].database).map(podsNamed);
      policy(props.postgres.name, {
        podSelector: selectPods(props.postgres.name),
        policyTypes: ["Ingress"],
        ingress: [{ from: clients, ports: [tcp(props.postgres.port)] }],
      });
    }
    if (props.kafka.kind === "pods") {
      const kafka = props.kafka.name;
      const clients = serviceNames.filter((n) => usesKafka(services[n])).map(podsNamed);
      const topicsJob: Peer[] = props.topicsJob ? [podsNamed(props.topicsJob)] : [];
      policy(kafka, {
        podSelector: selectPods(kafka),
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [...clients, ...topicsJob, podsNamed(kafka)], ports: props.kafka.ports.map(tcp) }],
        // Brokers and controllers talk to each other (replication, the KRaft quorum).
        egress: [{ to: [podsNamed(kafka)], ports: props.kafka.ports.map(tcp) }],
      });
      if (props.topicsJob) {
        policy(props.topicsJob, {
          podSelector: selectPods(props.topicsJob),
          policyTypes: ["Egress"],
          egress: [{ to: [podsNamed(kafka)], ports: [tcp(props.kafka.ports[0]!)] }],
        });
      }
    }
  }
}
