// `make load`: an open-loop order load through the gateway (make dev by
// default, --gateway URL for another, --context <ctx> for a cluster through
// port-forwards), with live progress, a final summary, the accepted orders'
// saga latencies, and a JSON record of every operation. The accepted orders
// are added to the history `make verify` checks.
//
//   make load ARGS="--rate 50 --duration 30s"
//   make load ARGS="--rate 100 --duration 1m --arrival poisson --out .local/load/run.json"
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { connectToCluster } from "../cluster/cluster-connection.ts";
import { localUrl } from "../system-clients.ts";
import { historyFileFor, readHistory } from "../verify.ts";
import type { ArrivalProcess } from "./arrivals.ts";
import { parseDuration } from "./duration.ts";
import { formatLoadReport } from "./load-report.ts";
import { runOrderLoad } from "./order-load.ts";
import { progressPrinter } from "./progress-line.ts";

const usage = `usage: make load ARGS="--rate N --duration 30s [--arrival constant|poisson] [--seed N] [--customers N]
       [--timeout 30s] [--max-in-flight N] [--no-saga] [--include-scarce] [--out FILE]
       [--gateway URL --orders URL | --context CTX [--namespace NS]]"`;

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "20" },
    duration: { type: "string", default: "30s" },
    arrival: { type: "string", default: "constant" },
    seed: { type: "string" },
    customers: { type: "string" },
    timeout: { type: "string", default: "30s" },
    "max-in-flight": { type: "string" },
    "no-saga": { type: "boolean", default: false },
    "include-scarce": { type: "boolean", default: false },
    out: { type: "string" },
    gateway: { type: "string" },
    orders: { type: "string" },
    context: { type: "string" },
    namespace: { type: "string", default: "meshmart" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const fail = (message: string): never => {
  console.error(`load: ${message}\n${usage}`);
  process.exit(2);
};
const rate = Number(values.rate);
if (!(rate > 0)) fail(`--rate must be a positive number (got ${values.rate})`);
if (values.arrival !== "constant" && values.arrival !== "poisson") fail(`--arrival must be constant or poisson (got ${values.arrival})`);
let durationMs = 0;
let timeoutMs = 0;
try {
  durationMs = parseDuration(values.duration);
  timeoutMs = parseDuration(values.timeout);
} catch (err) {
  fail((err as Error).message);
}

const cluster = values.context
  ? await connectToCluster({ context: values.context, namespace: values.namespace, log: (line) => console.log(`  ${line}`) }).catch((err: Error) =>
      fail(`cannot reach the platform on context ${values.context}: ${err.message}`),
    )
  : undefined;
const gatewayUrl = values.gateway ?? cluster?.urls.gateway ?? localUrl("gateway");
const ordersUrl = values.orders ?? cluster?.urls.orders ?? localUrl("orders");
const orders = values["no-saga"] ? undefined : createClient(OrderService, createConnectTransport({ baseUrl: ordersUrl, httpVersion: "1.1", defaultTimeoutMs: 30_000 }));

console.log(`load: ${rate} orders/s (${values.arrival}) for ${durationMs / 1000} s through ${gatewayUrl}${orders ? `; sagas timed through ${ordersUrl}` : ""}`);
const progress = progressPrinter();
const stop = new AbortController();
process.once("SIGINT", () => stop.abort());
const run = await runOrderLoad({
  gatewayUrl,
  rate,
  durationMs,
  arrival: values.arrival as ArrivalProcess,
  ...(values.seed ? { seed: Number(values.seed) } : {}),
  ...(values.customers ? { customers: Number(values.customers) } : {}),
  ...(values["max-in-flight"] ? { maxInFlight: Number(values["max-in-flight"]) } : {}),
  includeScarce: values["include-scarce"],
  requestTimeoutMs: timeoutMs,
  tokenFor: (customerId) => (cluster ? cluster.token(customerId) : devTokenFor(customerId)),
  onProgress: (p) => progress.print(p),
  signal: stop.signal,
  ...(orders ? { orders } : {}),
}).catch((err: Error) => fail(`${err.message}${cluster ? "" : " (is `make dev` running?)"}`));
progress.end();
console.log(formatLoadReport(run));

const out = values.out ?? path.join(".local", "load", `load-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ options: { rate, durationMs, arrival: values.arrival, gatewayUrl }, ...run }, null, 1));
const historyFile = historyFileFor(values.context);
await mkdir(path.dirname(historyFile), { recursive: true });
await writeFile(historyFile, JSON.stringify({ accepted: [...(await readHistory(historyFile)), ...run.accepted] }, null, 1));
console.log(`\nevery operation: ${out}\naccepted orders added to ${historyFile} (make verify checks them)`);
await cluster?.close();
