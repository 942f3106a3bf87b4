// Where everything of the local scenario stack listens, laid out on the 60
// ports from Toxiproxy's API port B (MESHMART_TOXIPROXY_PORT, else the
// profile's), and which edges run through a proxy:
//
//   B          Toxiproxy's API
//   B+1..7     the services themselves (gateway, catalog, inventory, orders, payments, shipping, notifications)
//   B+11..17   svc-<name>:   every caller of the service (and the load, for the gateway) -> the service
//   B+21..27   pg-<name>:    the service -> PostgreSQL (its DATABASE_URL)
//   B+31..37   kafka-<name>: the service -> Kafka (its KAFKA_BROKERS) ...
//   B+41..47   ... into the broker's listener PROXY_<NAME>, which advertises 127.0.0.1:B+31.. (the proxy)
//   B+50       the repeating HTTP proxy of retrying-proxy-refunds
//   B+51..55   extra instances (rebalance-storm)
//
// Kafka through a proxy: a client bootstraps on any address, then connects to
// what the broker advertises for the listener it came in on. A proxy per
// service in front of one shared listener would hand every client the
// listener's own address, and the next connection would bypass the proxy. So
// each proxied service has a listener of its own on the broker, advertising
// that service's proxy: its metadata, fetches and produces all stay behind it,
// and one service can be cut off from Kafka while the others are not.
// The checker (rest, invariants) and the scenario's own probes use the direct
// addresses: a fault on an edge must not blind the judge.
import { serviceNames, services, usesKafka as usesTopologyKafka, type ServiceName } from "@meshmart/topology";
import type { AdvertisedListener } from "@meshmart/infra/kafka-config";
import type { ProxySpec } from "@meshmart/infra/toxiproxy";
import { edgeName, type ProxyEdge } from "./fault.ts";

export interface LocalTopology {
  base: number;
  servicePort: Record<ServiceName, number>;
  proxyPort(edge: ProxyEdge): number;
  retryingProxyPort: number;
  extraPort(i: number): number;
  /** Kafka listeners, one per service that talks to Kafka. */
  kafkaListeners: AdvertisedListener[];
  proxies(postgresPort: number): ProxySpec[];
  /** Environment of a service: callees, database and broker through its proxies. */
  serviceEnv(name: ServiceName, directDatabaseUrl: string | undefined): Record<string, string>;
  /** The URL a client (the load) uses for the gateway: through its proxy. */
  gatewayUrl: string;
}

const usesKafka = (name: ServiceName) => usesTopologyKafka(services[name]);

export function localTopology(base: number): LocalTopology {
  const index = (name: ServiceName) => serviceNames.indexOf(name);
  const servicePort = Object.fromEntries(serviceNames.map((name) => [name, base + 1 + index(name)])) as Record<ServiceName, number>;
  const offset = { service: 11, postgres: 21, kafka: 31 } as const;
  const proxyPort = (edge: ProxyEdge) => base + offset[edge.to] + index(edge.service);
  const listenerPort = (name: ServiceName) => base + 41 + index(name);
  const kafkaListeners = serviceNames.filter(usesKafka).map((name) => ({
    name: `PROXY_${name.toUpperCase()}`,
    port: listenerPort(name),
    advertised: `127.0.0.1:${proxyPort({ to: "kafka", service: name })}`,
  }));
  return {
    base,
    servicePort,
    proxyPort,
    retryingProxyPort: base + 50,
    extraPort: (i) => base + 51 + i,
    kafkaListeners,
    gatewayUrl: `http://127.0.0.1:${proxyPort({ to: "service", service: "gateway" })}`,
    proxies: (postgresPort) => [
      ...serviceNames.map((name) => ({ name: edgeName({ to: "service", service: name }), listenPort: proxyPort({ to: "service", service: name }), upstream: `127.0.0.1:${servicePort[name]}` })),
      ...serviceNames
        .filter((name) => services[name].database)
        .map((name) => ({ name: edgeName({ to: "postgres", service: name }), listenPort: proxyPort({ to: "postgres", service: name }), upstream: `127.0.0.1:${postgresPort}` })),
      ...serviceNames.filter(usesKafka).map((name) => ({ name: edgeName({ to: "kafka", service: name }), listenPort: proxyPort({ to: "kafka", service: name }), upstream: `127.0.0.1:${listenerPort(name)}` })),
    ],
    serviceEnv(name, directDatabaseUrl) {
      const env: Record<string, string> = {};
      for (const callee of serviceNames) env[`${callee.toUpperCase()}_URL`] = `http://127.0.0.1:${proxyPort({ to: "service", service: callee })}`;
      if (directDatabaseUrl) {
        const url = new URL(directDatabaseUrl);
        url.hostname = "127.0.0.1";
        url.port = String(proxyPort({ to: "postgres", service: name }));
        env.DATABASE_URL = url.toString();
      }
      if (usesKafka(name)) env.KAFKA_BROKERS = `127.0.0.1:${proxyPort({ to: "kafka", service: name })}`;
      return env;
    },
  };
}
