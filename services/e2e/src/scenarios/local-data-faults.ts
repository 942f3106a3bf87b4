// Data-store faults of the local target: the run's own Kafka broker stopped,
// its PostgreSQL shut down or killed with all its processes, and one
// service's database closed to connections while the others serve.
import pg from "pg";
import { isPortOpen } from "@meshmart/infra/processes";
import type { Fault } from "./fault.ts";
import type { LocalStack } from "./local-stack.ts";
import type { Injected } from "./target.ts";
import { confirmed, notConfirmed } from "./verdict.ts";

async function canQuery(url: string): Promise<true | string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function stopKafka(local: LocalStack): Promise<Injected> {
  const port = Number(local.kafka.brokers[0]!.split(":").at(-1));
  local.log(`stopping the Kafka broker ${local.kafka.brokers.join(",")}`);
  await local.kafka.stop();
  const down = !(await isPortOpen(port));
  return {
    applied: down ? confirmed(`broker stopped: port ${port} refuses connections`) : notConfirmed(`port ${port} still accepts connections after the stop`),
    heal: async () => {
      local.log("starting the Kafka broker again (same data directory)");
      await local.kafka.start();
      return (await isPortOpen(port)) ? confirmed(`broker back on port ${port} and ready`) : notConfirmed(`broker not listening on ${port}`);
    },
  };
}

export async function stopPostgres(local: LocalStack, fault: Fault & { kind: "postgres-outage" }): Promise<Injected> {
  const admin = local.postgres.adminUrl;
  if (fault.mode === "halt") await local.postgres.halt();
  else await local.postgres.kill();
  const answer = await canQuery(admin);
  const what = fault.mode === "halt" ? "shut down (fast)" : "killed (SIGKILL to the postmaster and its backends)";
  return {
    applied: answer === true ? notConfirmed(`PostgreSQL still answers after being ${what}`) : confirmed(`PostgreSQL ${what}: a new connection fails (${answer})`),
    heal: async () => {
      local.log("starting PostgreSQL again (same data directory)");
      await local.postgres.start();
      const back = await canQuery(admin);
      return back === true ? confirmed("PostgreSQL back and answering") : notConfirmed(`PostgreSQL does not answer after the start: ${back}`);
    },
  };
}

export async function closeDatabase(local: LocalStack, fault: Fault & { kind: "database-outage" }): Promise<Injected> {
  const url = local.stack.databases.get(fault.service);
  if (!url) return { applied: notConfirmed(`${fault.service} has no database`), heal: async () => confirmed("nothing was changed") };
  const database = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: local.postgres.adminUrl });
  await admin.connect();
  const heal = async () => {
    const client = new pg.Client({ connectionString: local.postgres.adminUrl });
    await client.connect();
    try {
      await client.query(`ALTER DATABASE ${client.escapeIdentifier(database)} WITH ALLOW_CONNECTIONS true`);
    } finally {
      await client.end();
    }
    const back = await canQuery(url);
    return back === true ? confirmed(`${database} accepts connections again`) : notConfirmed(`${database} still refuses: ${back}`);
  };
  try {
    await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(database)} WITH ALLOW_CONNECTIONS false`);
    const { rows } = await admin.query<{ n: string }>("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database]);
    const refused = await canQuery(url);
    const others = [...local.stack.databases].filter(([name]) => name !== fault.service);
    const otherOk = others.length === 0 ? true : await canQuery(others[0]![1]);
    return {
      applied:
        refused !== true && otherOk === true
          ? confirmed(`${rows[0]?.n ?? 0} session(s) of ${database} terminated, a new connection is refused (${refused}); ${others[0]?.[0] ?? "no other"}'s database still answers`)
          : notConfirmed(refused === true ? `${database} still accepts connections` : `another database does not answer either: ${String(otherOk)}`),
      heal,
    };
  } finally {
    await admin.end();
  }
}
