// `make verify`: waits (bounded) for the system to come to rest, reads it
// through its RPCs, checks the seven invariants, prints each with pass or fail
// and the offending ids, and exits non-zero on any failure.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { connectToCluster, parsePortOffset } from "./cluster/cluster-connection.ts";
import { checkInvariants, type AcceptedOrder, type InvariantResult } from "./invariants.ts";
import { formatGroupLag, waitForRest, type RestProbeOptions } from "./rest.ts";
import { readSnapshot } from "./snapshot.ts";
import { createSystemClients } from "./system-clients.ts";
import { exitFlushed } from "./exit-flushed.ts";

export interface VerifyOptions extends Omit<RestProbeOptions, "urls"> {
  env?: NodeJS.ProcessEnv;
  restTimeoutMs?: number;
  accepted?: AcceptedOrder[];
  log?: (line: string) => void;
}

export interface Verdict {
  rest: boolean;
  /** When not at rest: the last reading, and each consumer group still behind (members, partitions). */
  restDetail?: string[];
  results: InvariantResult[];
  pass: boolean;
}

export async function verify(options: VerifyOptions): Promise<Verdict> {
  const log = options.log ?? (() => {});
  const clients = createSystemClients(options.env);
  log(`waiting for rest (outboxes empty, consumer lag 0, no saga pending; up to ${(options.restTimeoutMs ?? 120_000) / 1000}s)...`);
  let last = "";
  const { rest, reading, behind } = await waitForRest(
    { ...options, urls: clients.urls },
    {
      timeoutMs: options.restTimeoutMs,
      onProgress: (r) => {
        const line = `  outbox ${JSON.stringify(r.outboxBacklog)} lag ${JSON.stringify(r.consumerLag)} sagas pending ${r.sagasPending}`;
        if (line !== last) log(line);
        last = line;
      },
    },
  );
  log(rest ? "at rest." : "NOT at rest within the bound: checking anyway, failures below are real.");
  const restDetail = rest
    ? undefined
    : [
        `last reading: outbox ${JSON.stringify(reading.outboxBacklog)} lag ${JSON.stringify(reading.consumerLag)} sagas pending ${reading.sagasPending}`,
        ...Object.entries(behind ?? {}).flatMap(([name, report]) => formatGroupLag(name, report)),
      ];
  for (const line of restDetail?.slice(1) ?? []) log(`  ${line}`);
  const snapshot = await readSnapshot(clients);
  const results = checkInvariants(snapshot, reading, options.accepted);
  for (const r of results) {
    log(`${r.pass ? "PASS" : "FAIL"}  ${r.name}  (${r.summary})`);
    for (const offender of r.offenders.slice(0, 20)) log(`        ${offender}`);
    if (r.offenders.length > 20) log(`        ... and ${r.offenders.length - 20} more`);
  }
  return { rest, ...(restDetail ? { restDetail } : {}), results, pass: rest && results.every((r) => r.pass) };
}

/** History written by `make demo` (and scenarios): the orders PlaceOrder accepted. */
export async function readHistory(path: string): Promise<AcceptedOrder[]> {
  try {
    return (JSON.parse(await readFile(path, "utf8")) as { accepted: AcceptedOrder[] }).accepted;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new Error(`cannot read history ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Where `make demo` keeps the orders it placed: per kube context, or for `make dev`. */
export function historyFileFor(context: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESHMART_HISTORY) return env.MESHMART_HISTORY;
  return context ? path.join(".local", "history", `${context.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`) : ".local/dev/history.json";
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const { values } = parseArgs({ options: { context: { type: "string" }, namespace: { type: "string", default: "meshmart" }, "port-offset": { type: "string" } } });
  const history = await readHistory(historyFileFor(values.context));
  const restTimeoutMs = Number(env.VERIFY_TIMEOUT_MS ?? 120_000);
  const log = (line: string) => console.log(line);
  const verdict = values.context
    ? await Promise.resolve()
        .then(() => connectToCluster({ context: values.context!, namespace: values.namespace, portOffset: parsePortOffset(values["port-offset"]), log }))
        .then(async (cluster) => {
          try {
            return await cluster.verify(history, restTimeoutMs);
          } finally {
            await cluster.close();
          }
        })
        .catch((err: Error) => {
          console.error(`verify: cannot read the platform on context ${values.context}: ${err.message}`);
          process.exit(2);
        })
    : await verify({ brokers: (env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","), topicPrefix: env.KAFKA_TOPIC_PREFIX, restTimeoutMs, accepted: history, log }).catch(
        (err: Error) => {
          console.error(`verify: cannot read the system: ${err.message}`);
          console.error("is it running? start it with `make dev`.");
          process.exit(2);
        },
      );
  console.log(verdict.pass ? "\nverify: every invariant holds." : "\nverify: FAILED.");
  await exitFlushed(verdict.pass ? 0 : 1);
}
