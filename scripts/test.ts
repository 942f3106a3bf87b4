// `make test`: type-check, lint, the real PostgreSQL and Kafka (profile
// "test", data in .local/test), then every *.test.ts with node's test runner
// against them; stops what it started and prints where the time went.
//
// The cluster tools (built once per machine and cached) are made ready in the
// background from the start: on a new machine their builds take most of the
// cold run and use both cores, while the tests that do not need them mostly
// wait on sockets. Those tests run first, the Kubernetes ones (cdk8s/,
// scripts/cluster/, mesh/) once the tools are there.
//
//   npm run test                 # everything
//   npm run test -- orders       # only test files whose path contains "orders" (no type-check or lint)
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { glob } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";
import { repoRoot } from "@meshmart/infra/paths";
import { startKafka } from "@meshmart/infra/kafka";
import { startPostgres } from "@meshmart/infra/postgres";
import type { RecordedFailure } from "./test-failures-reporter.ts";

const patterns = ["services/*/src/**/*.test.ts", "services/proto/*.test.ts", "scripts/**/*.test.ts", "cdk8s/**/*.test.ts", "mesh/**/*.test.ts"];
const filters = process.argv.slice(2); // optional substrings to pick test files

/**
 * Tools the tests outside cdk8s/, scripts/cluster/ and mesh/ run, in the order those tests need
 * them. They are built in the background first; a test that gets to one still building waits for
 * it (ensure-tool.sh holds a lock per build).
 */
const serviceTools: string[] = [
  "connectconformance", // services/conformance
  "grpc-health-probe", // services/platform (grpc-*.test.ts)
  "grpcurl", // services/platform (grpc-*.test.ts, unimplemented-rpc.test.ts)
  "promtool", // services/observability/src/prometheus-rules.test.ts (one build with prometheus, for services/e2e/src/observability.test.ts)
  "jaeger", // services/e2e/src/observability.test.ts, services/platform/src/telemetry/server-spans.test.ts
  "toxiproxy-server", // services/e2e/src/scenarios (quick-suite.test.ts), scripts/infra/src/toxiproxy.test.ts
];
/** The tools the Kubernetes tests run: the cluster binaries, istioctl, kube-score and helm (scripts/tools/ensure-tool.sh). */
const clusterTools = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl", "kwok", "coredns", "crictl", "istioctl", "kube-score", "helm"];

/** The test files that run the cluster tools; they run after the others, once the tools are built. */
const needsClusterTools = (file: string) => file.startsWith("cdk8s/") || file.startsWith("scripts/cluster/") || file.startsWith("mesh/");

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

/** The service tests' tools, then the cluster tools and, as root, the Debian packages of the real-pod stage; never throws. */
async function prepareTools(): Promise<{ ok: boolean; seconds: number }> {
  const at = Date.now();
  const step = async (command: string, args: string[]) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    const prefix = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) console.log(`[tools] ${line}`);
    };
    child.stdout.on("data", prefix);
    child.stderr.on("data", prefix);
    return once(child, "exit").then(([exitCode]) => exitCode === 0);
  };
  // A service tool that fails to build fails the tests that need it; the cluster tools are what `ok` is about.
  if (serviceTools.length > 0) await step("bash", ["scripts/tools/ensure-tool.sh", ...serviceTools]);
  let ok = toolFiles.length === 0 || (await step("bash", ["scripts/tools/ensure-tool.sh", ...clusterTools]));
  if (ok && toolFiles.length > 0 && process.getuid?.() === 0) ok = await step("bash", ["scripts/tools/ensure-packages.sh", "cluster", "images"]);
  if (toolFiles.length > 0 && process.getuid?.() !== 0) console.warn("\n*** the real-pod stage needs root (containerd, kubelet, a bridge); it will say so and be skipped\n");
  return { ok, seconds: (Date.now() - at) / 1000 };
}

async function runTests(testFiles: string[]): Promise<number> {
  running = spawn(
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
      "--test-reporter=./scripts/test-failures-reporter.ts",
      "--test-reporter-destination=stdout",
      "--test-concurrency=1",
      "--test-timeout=3600000",
      ...testFiles,
    ],
    { cwd: repoRoot, stdio: "inherit", env: testEnv },
  );
  const [exitCode] = (await once(running, "exit")) as [number | null];
  running = undefined;
  return exitCode ?? 1;
}

/** Where the failures reporter writes (scripts/test-failures-reporter.ts); printed last by printFailures. */
const failuresFile = path.join(repoRoot, ".local", "test", "failures.jsonl");
mkdirSync(path.dirname(failuresFile), { recursive: true });
rmSync(failuresFile, { force: true });

/** Every failure again, as the last lines of the run: what CI keeps of it is its tail. */
function printFailures(): void {
  let lines: string[];
  try {
    lines = readFileSync(failuresFile, "utf8").trim().split("\n").filter(Boolean);
  } catch {
    return;
  }
  const all = lines.map((line) => JSON.parse(line) as RecordedFailure);
  // A test cancelled because its suite's hook failed says nothing the suite's own line does not.
  const failed = all.filter((f) => f.failureType !== "cancelledByParent");
  const shown = 10;
  const cancelled = all.length - failed.length;
  console.log(`\n[test] ${failed.length} failed${cancelled ? `, ${cancelled} cancelled with their suite` : ""} (each in full in the spec reporter's output above):`);
  for (const f of failed.slice(0, shown)) {
    console.log(`✖ ${f.file} › ${f.name}${f.failureType && f.failureType !== "testCodeFailure" ? ` [${f.failureType}]` : ""}`);
    for (const l of f.message.split("\n")) console.log(`    ${l}`);
  }
  if (failed.length > shown) console.log(`  ... and ${failed.length - shown} more in ${path.relative(repoRoot, failuresFile)}`);
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

const toolFiles = files.filter(needsClusterTools);
const otherFiles = files.filter((file) => !needsClusterTools(file));

// Started now, awaited before the Kubernetes tests: on a warm machine it only links the cached builds.
const toolsReady = prepareTools();

if (filters.length === 0) {
  await phase("type-check (tsc)", () => mustSucceed("tsc", "npm", ["run", "--silent", "typecheck"]));
  await phase("lint (eslint, buf lint)", () => mustSucceed("lint", "npm", ["run", "--silent", "lint"]));
}

const log = (line: string) => console.log(`[infra] ${line}`);
const [postgres, kafka] = await phase("PostgreSQL and Kafka", () =>
  Promise.all([startPostgres({ profile: "test", log }), startKafka({ profile: "test", log })]),
);
console.log(`[infra] ${postgres.adminUrl}, Kafka ${kafka.brokers.join(",")}`);
const testEnv = { ...process.env, MESHMART_TEST_FAILURES_FILE: failuresFile, MESHMART_TEST_PG_URL: postgres.adminUrl, KAFKA_BROKERS: kafka.brokers.join(","), LOG_LEVEL: process.env.LOG_LEVEL ?? "silent" };

let interrupted = false;
let running: ChildProcess | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    interrupted = true;
    running?.kill(signal);
  });
}

let code = 0;
if (otherFiles.length > 0) code = await phase(`${otherFiles.length} test files`, () => runTests(otherFiles));
if (toolFiles.length > 0 && !interrupted) {
  const tools = await phase("waiting for the cluster tools", () => toolsReady);
  phases.push({ name: "  (cluster tools ready after this long from the start: built in the background by scripts/tools/ensure-tool.sh)", seconds: tools.seconds });
  if (!tools.ok) {
    console.error("[test] the cluster tools could not be made ready (see the [tools] lines above): the Kubernetes tests cannot run");
    code = 1;
  } else {
    const kubernetesCode = await phase(`${toolFiles.length} Kubernetes test files`, () => runTests(toolFiles));
    code ||= kubernetesCode;
  }
}
if (interrupted) code = 130;
await Promise.allSettled([kafka.stop(), postgres.stop()]);
printPhases();
printFailures();
process.exit(code);
