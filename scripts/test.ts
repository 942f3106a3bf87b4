// `make test`: type-check, lint, the cluster tools (built once per machine and
// cached), the real PostgreSQL and Kafka (profile "test", data in
// .local/test), then every *.test.ts with node's test runner against them;
// stops what it started and prints where the time went.
//
//   npm run test                 # everything
//   npm run test -- orders       # only test files whose path contains "orders" (no type-check or lint)
import { spawn } from "node:child_process";
import { glob } from "node:fs/promises";
import { once } from "node:events";
import { repoRoot } from "@meshmart/infra/paths";
import { startKafka } from "@meshmart/infra/kafka";
import { startPostgres } from "@meshmart/infra/postgres";

const patterns = ["services/*/src/**/*.test.ts", "services/proto/*.test.ts", "scripts/**/*.test.ts", "cdk8s/**/*.test.ts", "mesh/**/*.test.ts", "observability/**/*.test.ts"];
const filters = process.argv.slice(2); // optional substrings to pick test files

/** Every tool a test runs: the cluster binaries, istioctl, kube-score and helm (scripts/tools/ensure-tool.sh). */
const clusterTools = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl", "kwok", "coredns", "crictl", "istioctl", "kube-score", "helm"];

const phases: Array<{ name: string; seconds: number }> = [];
const started = Date.now();

async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const at = Date.now();
  console.log(`\n[test] ${name}...`);
  try {
    return await fn();
  } finally {
    const seconds = (Date.now() - at) / 1000;
    phases.push({ name, seconds });
    console.log(`[test] ${name}: ${seconds.toFixed(1)} s`);
  }
}

function exec(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = spawn(command, args, { cwd: repoRoot, stdio: "inherit", env });
  return once(child, "exit").then(([code]) => (code as number | null) ?? 1);
}

async function mustSucceed(what: string, command: string, args: string[]): Promise<void> {
  const code = await exec(command, args);
  if (code !== 0) {
    console.error(`[test] ${what} failed (exit ${code})`);
    printPhases();
    process.exit(code);
  }
}

function printPhases(): void {
  console.log(`\n[test] where the time went (${((Date.now() - started) / 1000).toFixed(0)} s in all):`);
  for (const p of phases) console.log(`  ${p.seconds.toFixed(1).padStart(7)} s  ${p.name}`);
}

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

if (filters.length === 0) {
  await phase("type-check (tsc)", () => mustSucceed("tsc", "npm", ["run", "--silent", "typecheck"]));
  await phase("lint (eslint, buf lint)", () => mustSucceed("lint", "npm", ["run", "--silent", "lint"]));
}

// The Kubernetes tests need the cluster tools; on a new machine they build from the Go module proxy
// first (many minutes on 2 cores, with progress), later runs only link them.
if (files.some((f) => f.startsWith("cdk8s/") || f.startsWith("scripts/cluster/") || f.startsWith("mesh/"))) {
  await phase("cluster tools (scripts/tools/ensure-tool.sh)", () => mustSucceed("ensure-tool.sh", "bash", ["scripts/tools/ensure-tool.sh", ...clusterTools]));
  if (process.getuid?.() === 0) {
    await phase("Debian packages for the real-pod stage", () => mustSucceed("ensure-packages.sh", "bash", ["scripts/tools/ensure-packages.sh", "cluster", "images"]));
  } else {
    console.warn("\n*** the real-pod stage needs root (containerd, kubelet, a bridge); it will say so and be skipped\n");
  }
}

const log = (line: string) => console.log(`[infra] ${line}`);
const [postgres, kafka] = await phase("PostgreSQL and Kafka", () =>
  Promise.all([startPostgres({ profile: "test", log }), startKafka({ profile: "test", log })]),
);
console.log(`[infra] ${postgres.adminUrl}, Kafka ${kafka.brokers.join(",")}`);

const code = await phase(`${files.length} test files`, async () => {
  const child = spawn(
    process.execPath,
    [
      "--disable-warning=TimeoutNegativeWarning",
      "--import",
      "tsx",
      "--test",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=./scripts/test-durations-reporter.ts",
      "--test-reporter-destination=stdout",
      "--test-concurrency=1",
      "--test-timeout=3600000",
      ...files,
    ],
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
  const [exitCode] = (await once(child, "exit")) as [number | null];
  return interrupted ? 130 : (exitCode ?? 1);
});
await Promise.allSettled([kafka.stop(), postgres.stop()]);
printPhases();
process.exit(code);
