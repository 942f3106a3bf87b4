// `make rebuild-projection`: tells the running history service to rebuild
// its projection from the beginning of its topics (POST
// /admin/projection/rebuild: consumers stopped, tables and inbox emptied, the
// consumer group reset to the earliest offsets, consuming again), then prints
// its progress (GetProjectionStatus) every second until nothing is pending and
// the lag is 0.
//
//   make rebuild-projection                              # the make dev stack
//   make rebuild-projection ARGS="--url http://127.0.0.1:27107 --timeout 20m"
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { OrderHistoryService, type GetProjectionStatusResponse } from "@meshmart/proto/history/v1/history_pb";
import { services } from "@meshmart/topology";
import { rebuildPath } from "./projection-admin.ts";

const { values: args } = parseArgs({
  options: {
    url: { type: "string", default: process.env.HISTORY_URL ?? `http://127.0.0.1:${services.history.localPort}` },
    timeout: { type: "string", default: "10m" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: make rebuild-projection ARGS="[--url ${args.url}] [--timeout 10m]"`);
  process.exit(0);
}
const timeoutMs = duration(args.timeout);
const url = args.url.replace(/\/$/, "");
const client = createClient(OrderHistoryService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", defaultTimeoutMs: 10_000 }));
const started = Date.now();
const say = (line: string) => console.log(`rebuild-projection ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s  ${line}`);

say(`asking ${url} to rebuild the order-history projection...`);
let res: Response;
try {
  res = await fetch(`${url}${rebuildPath}`, { method: "POST", signal: AbortSignal.timeout(timeoutMs) });
} catch (err) {
  console.error(`rebuild-projection: history does not answer at ${url} (${(err as Error).message}); is make dev running?`);
  process.exit(1);
}
const body = (await res.json().catch(() => ({}))) as { generation?: number; topics?: string[]; error?: string };
if (res.status === 409) {
  say(`a rebuild is already under way (${body.error ?? ""}); following its progress`);
} else if (res.status === 404) {
  console.error(`rebuild-projection: ${url} has no ${rebuildPath} (PROJECTION_ADMIN=false?)`);
  process.exit(1);
} else if (!res.ok) {
  console.error(`rebuild-projection: the rebuild failed (${res.status}): ${body.error ?? "no detail"}`);
  process.exit(1);
} else {
  say(`rebuild ${body.generation}: projection and inbox emptied, offsets of ${(body.topics ?? []).join(", ")} reset to the earliest; consuming again`);
}

let quietPolls = 0;
while (Date.now() - started < timeoutMs) {
  await sleep(1_000);
  let status: GetProjectionStatusResponse;
  try {
    status = await client.getProjectionStatus({});
  } catch (err) {
    say(`no status yet (${(err as Error).message})`);
    continue;
  }
  const applied = status.topics.reduce((n, t) => n + t.eventsApplied, 0n);
  const pending = status.topics.reduce((n, t) => n + (t.pendingMessages > 0n ? t.pendingMessages : 0n), 0n);
  const lag = Math.max(0, ...status.topics.map((t) => t.lagSeconds));
  const perTopic = status.topics.map((t) => `${t.topic.replace(/^.*meshmart\.|\.v1$/g, "")} ${t.eventsApplied}`).join(", ");
  say(`${status.rebuilding ? "rebuilding; " : ""}events applied ${applied} (${perTopic}), pending ${pending}, lag ${lag.toFixed(1)} s, orders ${status.orders}`);
  const unknown = status.topics.some((t) => t.pendingMessages < 0n);
  quietPolls = !status.rebuilding && !unknown && pending === 0n && lag === 0 ? quietPolls + 1 : 0;
  if (quietPolls >= 2) {
    say(`done: lag 0, ${status.orders} orders in the projection`);
    process.exit(0);
  }
}
console.error(`rebuild-projection: the lag did not reach 0 within ${args.timeout}`);
process.exit(1);

function duration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) {
    console.error(`rebuild-projection: --timeout must be a duration like 90s or 10m (got ${text})`);
    process.exit(2);
  }
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}
