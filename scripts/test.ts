// `make test` after type-check and lint: starts the real PostgreSQL and Kafka
// (profile "test", data in .local/test), runs every *.test.ts with node's test
// runner against them, and stops what it started.
import { spawn } from "node:child_process";
import { glob } from "node:fs/promises";
import { once } from "node:events";
import { repoRoot } from "./infra/paths.ts";
import { startKafka } from "./infra/kafka.ts";
import { startPostgres } from "./infra/postgres.ts";

const patterns = ["services/*/src/**/*.test.ts", "services/proto/*.test.ts", "scripts/**/*.test.ts", "cdk8s/**/*.test.ts", "mesh/**/*.test.ts"];
const filters = process.argv.slice(2); // optional substrings to pick test files

const files: string[] = [];
for (const pattern of patterns) {
  for await (const file of glob(pattern, { cwd: repoRoot, exclude: (name) => name.includes("node_modules") })) {
    if (filters.length === 0 || filters.some((filter) => file.includes(filter))) files.push(file);
  }
}
files.sort();
if (files.length === 0) {
  console.error(`test: no test files match ${filters.join(" ") || patterns.join(" ")}`);
  process.exit(1);
}

const log = (line: string) => console.log(`[infra] ${line}`);
const started = Date.now();
const [postgres, kafka] = await Promise.all([startPostgres({ profile: "test", log }), startKafka({ profile: "test", log })]);
console.log(`[infra] ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${postgres.adminUrl}, Kafka ${kafka.brokers.join(",")}`);
console.log(`[test] ${files.length} test files`);

const child = spawn(
  process.execPath,
  ["--disable-warning=TimeoutNegativeWarning", "--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=1", "--test-timeout=600000", ...files],
  {
    cwd: repoRoot,
    stdio: "inherit",
    env: { ...process.env, MESHMART_TEST_PG_URL: postgres.adminUrl, KAFKA_BROKERS: kafka.brokers.join(","), LOG_LEVEL: process.env.LOG_LEVEL ?? "silent" },
  },
);
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    interrupted = true;
    child.kill(signal);
  });
}
const [code] = (await once(child, "exit")) as [number | null];
await Promise.allSettled([kafka.stop(), postgres.stop()]);
console.log(`[test] finished in ${((Date.now() - started) / 1000).toFixed(0)}s`);
process.exit(interrupted ? 130 : (code ?? 1));
