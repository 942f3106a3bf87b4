// `make bench-events`: the event backbone's benchmark on its own (events-bench.ts),
// on PostgreSQL and Kafka of profile bench. `make bench` runs it too.
import { parseArgs } from "node:util";
import { startKafka } from "@meshmart/infra/kafka";
import { startPostgres } from "@meshmart/infra/postgres";
import { runEventsBench } from "./events-bench.ts";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "16" },
    rate: { type: "string", default: "0" },
    seconds: { type: "string", default: "10" },
  },
});
const log = (line: string) => console.log(line);
log("starting PostgreSQL and Kafka (profile bench)...");
const [postgres, kafka] = await Promise.all([startPostgres({ profile: "bench", log: () => {} }), startKafka({ profile: "bench", log: () => {} })]);
process.env.MESHMART_TEST_PG_URL = postgres.adminUrl;
try {
  const r = await runEventsBench({
    adminUrl: postgres.adminUrl,
    brokers: kafka.brokers,
    events: Number(args.events),
    concurrency: Number(args.concurrency),
    rate: Number(args.rate),
    seconds: Number(args.seconds),
    log,
  });
  log("");
  log(`ratios: pipeline / raw kafkajs producer = ${r.ratioToRawKafka}; pipeline / raw PostgreSQL commits = ${r.ratioToRawPostgres}`);
  log(`reproduce: make bench-events ARGS="--events ${r.events} --concurrency ${r.concurrency} --rate ${args.rate} --seconds ${args.seconds}"`);
} finally {
  await Promise.allSettled([kafka.stop(), postgres.stop()]);
}
