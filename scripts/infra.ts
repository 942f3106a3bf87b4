// `npm run infra -- up|down|status [--profile dev]`: local PostgreSQL and
// Kafka on their own, left running in the background (`make infra-up`), for
// running services or tests one at a time against them.
import { parseArgs } from "node:util";
import { services } from "@meshmart/topology";
import { kafkaStatus, kafkaVersion, startKafka, stopKafka } from "@meshmart/infra/kafka";
import { stopJaeger } from "@meshmart/infra/jaeger";
import { postgresStatus, startPostgres, stopPostgres } from "@meshmart/infra/postgres";
import { stopPrometheus } from "@meshmart/infra/prometheus";
import { stopToxiproxy } from "@meshmart/infra/toxiproxy";

const usage = `usage: npm run infra -- <command> [--profile <name>]

commands:
  up      start PostgreSQL and Kafka in the background (reuses running ones)
  down    stop them (and a Jaeger, Prometheus or Toxiproxy a killed make dev or scenario run left running)
  status  show what runs and where

options:
  --profile <name>  which local environment (default: dev; the tests use test)

Data lives in .local/<profile>/. DATABASE_URL and KAFKA_BROKERS, when set,
name servers of your own: then nothing is started or stopped.`;

const log = (line: string) => console.log(`  ${line}`);

async function up(profile: string): Promise<void> {
  const databases = Object.values(services).filter((s) => s.database).map((s) => s.name);
  const [postgres, kafka] = await Promise.all([
    startPostgres({ profile, databases, detached: true, log }),
    startKafka({ profile, detached: true, log }),
  ]);
  console.log(`
PostgreSQL  ${postgres.adminUrl}
            databases: ${databases.join(", ")}
Kafka       ${kafka.brokers.join(",")}${kafka.external ? "" : ` (Apache Kafka ${kafkaVersion})`}

To point a service or a test at them:
  export DATABASE_URL=${postgres.adminUrl}
  export KAFKA_BROKERS=${kafka.brokers.join(",")}
Stop them with: npm run infra -- down${profile === "dev" ? "" : ` --profile ${profile}`}`);
}

async function down(profile: string): Promise<void> {
  if (process.env.DATABASE_URL) console.log("PostgreSQL is external (DATABASE_URL): left alone");
  else console.log((await stopPostgres({ profile, log })) ? "PostgreSQL stopped" : "PostgreSQL was not running");
  if (process.env.KAFKA_BROKERS) console.log("Kafka is external (KAFKA_BROKERS): left alone");
  else console.log((await stopKafka({ profile, log })) ? "Kafka stopped" : "Kafka was not running");
  // Left behind by a `make dev` that was killed: stopped by their recorded pids.
  if (await stopJaeger(profile)) console.log("Jaeger stopped");
  if (await stopPrometheus(profile)) console.log("Prometheus stopped");
  // The fault scenarios' Toxiproxy (profile scenarios), when one outlived its run.
  if (await stopToxiproxy({ profile })) console.log("Toxiproxy stopped");
}

async function status(profile: string): Promise<void> {
  const [postgres, kafka] = await Promise.all([postgresStatus({ profile }), kafkaStatus({ profile })]);
  switch (postgres.state) {
    case "external":
      console.log(`PostgreSQL  external: ${postgres.url.replace(/:[^:@/]*@/, ":***@")}`);
      break;
    case "running":
      console.log(`PostgreSQL  running: ${postgres.url} (pid ${postgres.pid}, data ${postgres.dataDir}, log ${postgres.logFile})`);
      break;
    case "stopped":
      console.log(`PostgreSQL  stopped (data ${postgres.dataDir})`);
  }
  switch (kafka.state) {
    case "external":
      console.log(`Kafka       external: ${kafka.brokers.join(",")}`);
      break;
    case "running":
      console.log(
        `Kafka       ${kafka.ready ? "running" : "running, not ready"}: ${kafka.brokers.join(",")} ` +
          `(pid ${kafka.pid}, data ${kafka.dataDir}, log ${kafka.logFile})`,
      );
      break;
    case "stopped":
      console.log(`Kafka       stopped (data ${kafka.dataDir})`);
  }
}

// kafkajs 2.2.4 arms a negative timer on every connection under Node 24
// (tulios/kafkajs#1751): harmless, but noise in a command's short output.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type !== "TimeoutNegativeWarning") emitWarning(warning, ...rest);
});

const commands: Record<string, (profile: string) => Promise<void>> = { up, down, status };

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { profile: { type: "string", default: "dev" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { positionals, values } = parsed;
  if (values.help) return console.log(usage);
  const [command, ...extra] = positionals;
  if (!command) throw new UsageError("missing command");
  const run = commands[command];
  if (!run) throw new UsageError(`unknown command "${command}"`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
  await run(values.profile);
}

class UsageError extends Error {}

try {
  await main();
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`infra: ${err.message}\n\n${usage}`);
    process.exitCode = 2;
  } else {
    console.error(`infra: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
