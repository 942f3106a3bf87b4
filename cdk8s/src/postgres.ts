// PostgreSQL as a StatefulSet with one database and one login role per
// service. The credentials live in a Secret; an init script (run by the image
// on first start, idempotent so it can also be run by hand) creates each role
// with its password and a database it owns. Clients reach it at
// postgres:5432; it is in the mesh (mTLS) and only the services with a
// database may connect.

import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { allowPrincipals } from "@meshmart/mesh/authorization-policy";
import { principal } from "@meshmart/mesh/principal";
import { apiObjectFromModel } from "./istio-api-object.ts";
import { finishStatefulStore } from "./stateful-store.ts";
import { applyRecommendedLabels, instanceName, recommendedLabels, selectorLabels } from "./labels.ts";

export const postgresPort = 5432;
/** uid/gid of the `postgres` user in the official image. */
export const postgresUserId = 999;

export interface PostgresProps {
  readonly namespace: string;
  readonly image: string;
  readonly managedBy: string;
  /** One login role and database of the same name per entry. */
  readonly databases: readonly string[];
  /** The Secret and key holding a database's password (created at install time, never in the synth). */
  readonly passwordSecret: (database: string) => { name: string; key: string };
  readonly storage?: string;
  readonly maxConnections?: number;
  readonly trustDomain?: string;
}

/** The Secret with the superuser's password (key POSTGRES_PASSWORD), created at install time. */
export const postgresCredentialsSecret = "postgres-credentials";

/** Env var carrying a database's password into the init script. */
export function passwordVariable(database: string): string {
  return `${database.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_DB_PASSWORD`;
}

/** postgres://<db>:<password>@postgres:5432/<db> */
export function databaseUrl(database: string, password: string, host = "postgres"): string {
  return `postgres://${encodeURIComponent(database)}:${encodeURIComponent(password)}@${host}:${postgresPort}/${encodeURIComponent(database)}`;
}

/** The init script: creates (or updates) each service's role and database. */
export function initScript(databases: readonly string[]): string {
  const lines = [
    "#!/bin/bash",
    "# Creates one login role and one database (owned by it) per meshmart service.",
    "# Run by the postgres image on first start; idempotent, so safe to run again.",
    "set -euo pipefail",
    "",
    "ensure_database() {",
    '  local name="$1" password="$2"',
    '  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \\',
    '    --set=name="$name" --set=password="$password" <<\'SQL\'',
    "SELECT format('CREATE ROLE %I LOGIN', :'name')",
    "  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name')\\gexec",
    "SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'name', :'password')\\gexec",
    "SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')",
    "  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name')\\gexec",
    "SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name')\\gexec",
    "SQL",
    "}",
    "",
    ...databases.map((db) => `ensure_database ${db} "$${passwordVariable(db)}"`),
    "",
  ];
  return lines.join("\n");
}

export class Postgres extends Construct {
  readonly statefulSet: kplus.StatefulSet;
  readonly kubeService: kplus.Service;
  readonly serviceAccount: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const name = "postgres";
    const version = props.image.split(":")[1] ?? "latest";
    const labels = recommendedLabels({
      name,
      instance: instanceName(props.namespace, name),
      version,
      component: "database",
      managedBy: props.managedBy,
    });
    const selector = selectorLabels(labels);
    const databases = [...props.databases].sort();

    this.serviceAccount = new kplus.ServiceAccount(this, "service-account", { metadata: { name }, automountToken: false });

    // The passwords come from Secrets made at install time; none is written here.
    const credentials = kplus.Secret.fromSecretName(this, "credentials", postgresCredentialsSecret);
    const envVariables: Record<string, kplus.EnvValue> = {
      POSTGRES_USER: kplus.EnvValue.fromValue("postgres"),
      POSTGRES_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: credentials, key: "POSTGRES_PASSWORD" }),
    };
    for (const db of databases) {
      const ref = props.passwordSecret(db);
      envVariables[passwordVariable(db)] = kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(this, `password-${db}`, ref.name), key: ref.key });
    }
    const init = new kplus.ConfigMap(this, "init", {
      metadata: { name: "postgres-init" },
      data: { "10-meshmart-databases.sh": initScript(databases) },
    });

    const headless = new kplus.Service(this, "headless", {
      metadata: { name: "postgres-headless" },
      clusterIP: "None",
      ports: [{ name: "tcp-postgres", port: postgresPort, targetPort: postgresPort }],
    });
    this.kubeService = new kplus.Service(this, "service", {
      metadata: { name },
      ports: [{ name: "tcp-postgres", port: postgresPort, targetPort: postgresPort }],
    });
    for (const svc of [headless, this.kubeService]) {
      for (const [key, value] of Object.entries(selector)) svc.selectLabel(key, value);
      // Postgres is not HTTP: declare it as TCP so Istio does not sniff the protocol.
      ApiObject.of(svc).addJsonPatch(JsonPatch.add("/spec/ports/0/appProtocol", "tcp"));
    }

    // Live: the server accepts connections. Ready: it answers a query (over the local socket,
    // where the image trusts the postgres user), so a server still recovering is not sent clients.
    const pgIsReady = ["pg_isready", "--host=127.0.0.1", `--port=${postgresPort}`, "--username=postgres"];
    const answersQuery = ["psql", "--no-password", "--host=/var/run/postgresql", `--port=${postgresPort}`, "--username=postgres", "--dbname=postgres", "--quiet", "--command=SELECT 1"];
    this.statefulSet = new kplus.StatefulSet(this, "statefulset", {
      metadata: { name },
      service: headless,
      select: false,
      replicas: 1,
      podManagementPolicy: kplus.PodManagementPolicy.ORDERED_READY,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(30),
      podMetadata: {
        labels,
        annotations: { "kubectl.kubernetes.io/default-container": name, "sidecar.istio.io/nativeSidecar": "true" },
      },
      securityContext: { ensureNonRoot: true, user: postgresUserId, group: postgresUserId, fsGroup: postgresUserId },
      containers: [
        {
          name,
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ["-c", `max_connections=${props.maxConnections ?? 300}`],
          ports: [{ number: postgresPort, name: "tcp-postgres" }],
          envVariables,
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
            memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
          },
          securityContext: {
            ensureNonRoot: true,
            user: postgresUserId,
            group: postgresUserId,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
          },
          startup: kplus.Probe.fromCommand(pgIsReady, {
            periodSeconds: Duration.seconds(2),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 60,
          }),
          readiness: kplus.Probe.fromCommand(answersQuery, {
            periodSeconds: Duration.seconds(5),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 2,
          }),
          liveness: kplus.Probe.fromCommand(pgIsReady, {
            periodSeconds: Duration.seconds(10),
            timeoutSeconds: Duration.seconds(5),
            failureThreshold: 6,
          }),
        },
      ],
    });
    this.statefulSet.select(kplus.LabelSelector.of({ labels: selector }));
    const container = this.statefulSet.containers[0]!;
    container.mount("/docker-entrypoint-initdb.d", kplus.Volume.fromConfigMap(this, "init-volume", init, { name: "init" }), {
      readOnly: true,
    });
    container.mount("/var/run/postgresql", kplus.Volume.fromEmptyDir(this, "run", "run", { sizeLimit: Size.mebibytes(16) }));
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(256) }));
    // PostgreSQL 18 images keep the cluster in /var/lib/postgresql/18/docker and refuse a mount at the
    // pre-18 path /var/lib/postgresql/data: the volume goes one level up.
    finishStatefulStore(this, this.statefulSet, { name, headless, selector, ephemeralStorage: { request: "128Mi", limit: "1Gi" }, dataPath: "/var/lib/postgresql", storage: props.storage });

    apiObjectFromModel(
      this,
      "authorization-policy",
      allowPrincipals({
        name,
        namespace: props.namespace,
        selector,
        principals: databases.map((db) => principal(props.namespace, db, props.trustDomain)),
      }),
    );

    applyRecommendedLabels(this, labels);
  }
}
