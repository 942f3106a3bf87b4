// PostgreSQL and Kafka for the local cluster, outside it: no registry means
// no postgres or apache/kafka image, so they run as host processes (the same
// infra scripts as `make dev`, profile "local-cluster", data in
// .local/local-cluster/) listening on the node address, where the pods reach
// them. The synth's external settings (EXTERNAL_POSTGRES,
// EXTERNAL_KAFKA) point the services there; `make cluster-down` stops them.
import { startKafka, stopKafka } from "@meshmart/infra/kafka";
import { startPostgres, stopPostgres } from "@meshmart/infra/postgres";
import { nodeAddress, type ClusterProfile } from "./cluster-profiles.ts";

export const externalsProfile = "local-cluster";

export interface ClusterExternals {
  /** host:port, as EXTERNAL_POSTGRES takes it. */
  readonly postgres: string;
  /** The superuser's URL, for creating the services' roles and databases. */
  readonly postgresAdminUrl: string;
  /** host:port, as EXTERNAL_KAFKA takes it. */
  readonly kafka: string;
}

/** Starts them (detached; reused when running) and says where they are. */
export async function startClusterExternals(profile: ClusterProfile, log: (line: string) => void): Promise<ClusterExternals> {
  const address = nodeAddress(profile);
  const [postgres, kafka] = await Promise.all([
    startPostgres({ profile: externalsProfile, detached: true, log, alsoListen: { address, cidr: profile.podCidr } }),
    startKafka({ profile: externalsProfile, detached: true, own: true, log, host: address }),
  ]);
  const admin = new URL(postgres.adminUrl);
  return { postgres: `${address}:${admin.port}`, postgresAdminUrl: postgres.adminUrl, kafka: kafka.brokers.join(",") };
}

export async function stopClusterExternals(log: (line: string) => void): Promise<void> {
  if (await stopKafka({ profile: externalsProfile, log })) log("stopped the cluster's Kafka");
  if (await stopPostgres({ profile: externalsProfile, log })) log("stopped the cluster's PostgreSQL");
}
