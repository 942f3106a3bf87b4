// Install-time secrets for `make deploy`: the synth references Secrets but
// never contains one, so this creates what is missing, once per cluster, with
// random passwords (and never changes one that exists: the database was
// initialised with it). With an external PostgreSQL it also creates each
// service's role and database there, with that password.
//
//   tsx scripts/cluster/src/deploy/secrets.ts --context <ctx> --namespace meshmart [--external-postgres-admin-url postgres://...]
//
// Secrets: `<service>-database` (key `password`) for every service with a
// database; `postgres-credentials` (key `POSTGRES_PASSWORD`) for the
// in-cluster PostgreSQL.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import * as k8s from "@kubernetes/client-node";
import pg from "pg";
import { serviceNames, services } from "@meshmart/topology";

const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 32 characters from an alphabet that needs no escaping in a URL or a shell. */
export function randomPassword(length = 32): string {
  const bytes = randomBytes(length * 2);
  let out = "";
  for (const byte of bytes) {
    if (byte < 248) out += passwordAlphabet[byte % passwordAlphabet.length]; // 248 = 4 * 62: no modulo bias
    if (out.length === length) break;
  }
  return out;
}

export interface SecretPlan {
  readonly name: string;
  readonly key: string;
}

export function plannedSecrets(externalPostgres: boolean): SecretPlan[] {
  const databases = serviceNames.filter((name) => services[name].database).map((name) => ({ name: `${name}-database`, key: "password" }));
  return externalPostgres ? databases : [{ name: "postgres-credentials", key: "POSTGRES_PASSWORD" }, ...databases];
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404 || /HTTP-Code: 404/.test(String((err as Error).message));
}

/** Creates the missing Secrets; returns name -> the password now in the cluster. */
export async function ensureSecrets(core: k8s.CoreV1Api, namespace: string, plans: readonly SecretPlan[], log: (line: string) => void): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const plan of plans) {
    try {
      const existing = await core.readNamespacedSecret({ name: plan.name, namespace });
      const encoded = existing.data?.[plan.key];
      if (!encoded) throw new Error(`Secret ${namespace}/${plan.name} exists but has no key ${plan.key}: fix or delete it`);
      values.set(plan.name, Buffer.from(encoded, "base64").toString("utf8"));
      log(`secret ${plan.name}: exists, kept`);
      continue;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const password = randomPassword();
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: plan.name, namespace, labels: { "app.kubernetes.io/part-of": "meshmart", "app.kubernetes.io/managed-by": "meshmart-deploy" } },
        type: "Opaque",
        stringData: { [plan.key]: password },
      },
    });
    values.set(plan.name, password);
    log(`secret ${plan.name}: created (random, 32 characters)`);
  }
  return values;
}

/** On an external server: a login role and a database it owns per service, with the password of its Secret. */
export async function ensureExternalDatabases(adminUrl: string, passwords: ReadonlyMap<string, string>, log: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of serviceNames.filter((n) => services[n].database)) {
      const password = passwords.get(`${name}-database`);
      if (!password) throw new Error(`no password for ${name}`);
      const role = client.escapeIdentifier(name);
      const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
      await client.query(`${exists.rowCount ? "ALTER" : "CREATE"} ROLE ${role} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
      const db = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (!db.rowCount) await client.query(`CREATE DATABASE ${role} OWNER ${role}`);
      await client.query(`REVOKE ALL ON DATABASE ${role} FROM PUBLIC`);
      log(`external PostgreSQL: role and database ${name} ready`);
    }
  } finally {
    await client.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      context: { type: "string" },
      namespace: { type: "string", default: "meshmart" },
      "external-postgres-admin-url": { type: "string" },
      "dry-run": { type: "boolean", default: false },
    },
  });
  const external = values["external-postgres-admin-url"];
  const plans = plannedSecrets(external !== undefined);
  const log = (line: string) => console.log(`    ${line}`);
  if (values["dry-run"]) {
    for (const plan of plans) log(`would create Secret ${values.namespace}/${plan.name} (key ${plan.key}, random) unless it exists`);
    if (external) log("would create each service's role and database on the external PostgreSQL");
    process.exit(0);
  }
  const config = new k8s.KubeConfig();
  config.loadFromDefault();
  if (values.context) config.setCurrentContext(values.context);
  const core = config.makeApiClient(k8s.CoreV1Api);
  try {
    const passwords = await ensureSecrets(core, values.namespace, plans, log);
    if (external) await ensureExternalDatabases(external, passwords, log);
  } catch (err) {
    console.error(`secrets: ${(err as Error).message}`);
    process.exit(1);
  }
}
