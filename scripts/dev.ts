// `make dev`: PostgreSQL, Kafka, Jaeger, Prometheus and every service, in
// the foreground with readable logs. Prints where to call them. Ctrl-C stops
// everything cleanly.
//
//   make dev ARGS="--no-jaeger --no-prometheus"   # without the trace backend / the metrics server
//   make dev ARGS="--profile perf --port-base 27100"   # a second stack beside the dev one:
//       its own PostgreSQL and Kafka (profile perf), services on 27100 (gateway) to 27105
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { services, serviceNames } from "@meshmart/topology";
import { kafkaVersion, startKafka } from "@meshmart/infra/kafka";
import { startJaeger, type JaegerHandle } from "@meshmart/infra/jaeger";
import { repoRoot } from "@meshmart/infra/paths";
import { startPrometheus, type PrometheusHandle } from "@meshmart/infra/prometheus";
import { rulesFilePath } from "@meshmart/observability/generated-files";
import { startPostgres } from "@meshmart/infra/postgres";
import { colorFor, formatLogLine } from "@meshmart/infra/stack/log-format";
import { startServiceProcesses } from "@meshmart/infra/stack/service-processes";
import { devEnv } from "@meshmart/infra/stack/dev-env";

const { values: args } = parseArgs({
  options: {
    profile: { type: "string", default: "dev" },
    "port-base": { type: "string" },
    "no-jaeger": { type: "boolean", default: false },
    "no-prometheus": { type: "boolean", default: false },
  },
});
const flags = args;
const profile = args.profile;
const portBase = args["port-base"] === undefined ? undefined : Number(args["port-base"]);
if (portBase !== undefined && !(Number.isInteger(portBase) && portBase >= 1024 && portBase < 65000)) {
  console.error(`dev: --port-base must be a port number (got ${args["port-base"]})`);
  process.exit(2);
}
/** With --port-base, each service at the base + its offset from the gateway's local port. */
const ports = portBase === undefined ? undefined : Object.fromEntries(serviceNames.map((name) => [name, portBase + services[name].localPort - services.gateway.localPort]));
const started = Date.now();
const names = serviceNames.filter((name) => existsSync(path.join(repoRoot, "services", name, "src", "main.ts")));
const useColor = process.stdout.isTTY ?? false;
const say = (line: string) => console.log(`${useColor ? "\x1b[1m" : ""}meshmart${useColor ? "\x1b[0m" : ""} ${line}`);

const databases = names.filter((name) => services[name].database);
say(`starting PostgreSQL, Kafka${flags["no-jaeger"] ? "" : ", Jaeger"} (profile ${profile}, data in .local/${profile})...`);
const [postgres, kafka, jaeger] = await Promise.all([
  startPostgres({ profile, databases, log: (line) => say(line) }),
  startKafka({ profile, log: (line) => say(line) }),
  flags["no-jaeger"] ? Promise.resolve(undefined) : startJaeger({ profile, log: (line) => say(line) }),
]);
const stopInfra = async (prometheus?: PrometheusHandle) => {
  await Promise.allSettled([kafka.stop(), postgres.stop(), jaeger?.stop(), prometheus?.stop()]);
};
// Spans go to the local Jaeger unless an OTLP endpoint of your own is set.
const tracingEnv = (handle: JaegerHandle | undefined): Record<string, string> =>
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT || !handle ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: handle.otlpHttpEndpoint };

say(`starting ${names.join(", ")}...`);
const stack = await startServiceProcesses({
  names,
  ...(ports ? { ports } : {}),
  databaseUrl: (name) => postgres.urlFor(name),
  brokers: kafka.brokers,
  env: { ...devEnv, ...tracingEnv(jaeger) },
  onLine: (name, line) => console.log(formatLogLine(name, colorFor(serviceNames.indexOf(name)), line, useColor)),
}).catch(async (err: Error) => {
  console.error(`meshmart: ${err.message}`);
  await stopInfra();
  process.exit(1);
});

const prometheus = flags["no-prometheus"]
  ? undefined
  : await startPrometheus({
      profile,
      targets: names.map((name) => ({ service: name, address: new URL(stack.urls[name]).host })),
      ruleFiles: [rulesFilePath],
      log: (line) => say(line),
    }).catch((err: Error) => {
      say(`Prometheus did not start (${err.message}); going on without it`);
      return undefined;
    });

const rows = names.map((name) => `  ${name.padEnd(14)} ${stack.urls[name]}   ${services[name].rpcService ?? "REST /api/v1"}`);
console.log(`
meshmart is running (${((Date.now() - started) / 1000).toFixed(1)}s). Every port also serves /healthz, /readyz and /metrics.
${rows.join("\n")}
  PostgreSQL     ${postgres.adminUrl}
  Kafka          ${kafka.brokers.join(",")}${kafka.external ? "" : ` (Apache Kafka ${kafkaVersion})`}
  Jaeger         ${jaeger ? `${jaeger.url}   traces (API: ${jaeger.url}/api/traces?service=gateway; the UI is a placeholder page in this build), OTLP ${jaeger.otlpHttpEndpoint}` : "off (--no-jaeger)"}
  Prometheus     ${prometheus ? `${prometheus.url}   metrics and the SLO rules (API: ${prometheus.url}/api/v1/query?query=up; no web UI in this build)` : "off"}

Try it:
  curl -s -X POST ${stack.urls.catalog}/meshmart.catalog.v1.CatalogService/ListProducts \\
       -H 'content-type: application/json' -d '{"pageSize": 3}'
  npx buf curl --protocol grpc --http2-prior-knowledge --schema services/proto \\
       -d '{"pageSize": 3}' ${stack.urls.catalog}/meshmart.catalog.v1.CatalogService/ListProducts
${names.includes("gateway") ? `  TOKEN=$(make -s token)
  curl -s ${stack.urls.gateway}/api/v1/products?page_size=3
  make demo      # places a batch of orders through the gateway, then runs make verify
` : ""}
Ctrl-C stops everything.`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    say("stopping services (draining), then Kafka, PostgreSQL, Jaeger and Prometheus...");
    void (async () => {
      await stack.stop();
      await stopInfra(prometheus);
      say("stopped.");
      process.exit(0);
    })();
  });
}
