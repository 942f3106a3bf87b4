// The RPC benchmark: a no-database call and GetProduct, over Connect JSON and
// Connect binary (HTTP/1.1) and gRPC (h2c), against a meshmart service, a bare
// connect-node server and raw node:http / node:http2 handlers (rpc-servers.ts),
// measured side by side in one run: requests/s, latency p50/p99 and the
// server's CPU time per request (its process.cpuUsage). The load is closed
// loop at a fixed concurrency, from this process; the servers are child
// processes.
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import path from "node:path";
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { demoProductId } from "@meshmart/fixtures";
import { LatencyHistogram, type LatencySummary } from "@meshmart/e2e/load/latency-histogram";
import { GetProductRequestSchema } from "@meshmart/proto/catalog/v1/catalog_pb";
import { noDatabaseProductId, type ServerKind } from "./rpc-servers.ts";

export type Protocol = "connect-json" | "connect-binary" | "grpc";
export type Call = "no-db" | "GetProduct";

export interface RpcCell {
  server: ServerKind;
  protocol: Protocol;
  call: Call;
  requests: number;
  errors: number;
  rps: number;
  latency: LatencySummary;
  /** Server CPU (user + system) per request, ms. */
  cpuMsPerRequest: number;
}

export interface RpcResults {
  durationMs: number;
  concurrency: number;
  cells: RpcCell[];
  /** Idle RSS of each server process after its run, MB. */
  rssMb: Record<ServerKind, number>;
}

const rpcPath = "/meshmart.catalog.v1.CatalogService/GetProduct";

interface Server {
  kind: ServerKind;
  child: ChildProcess;
  ports: { h1: number; h2: number };
  cpu(): Promise<{ cpu: NodeJS.CpuUsage; rss: number }>;
}

async function startServer(kind: ServerKind, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = fork(path.join(import.meta.dirname, "rpc-servers.ts"), [kind], {
    // MESHMART_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") profiles the servers.
    execArgv: ["--disable-warning=TimeoutNegativeWarning", ...(process.env.MESHMART_NODE_ARGS ?? "").split(/\s+/).filter(Boolean), "--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const [message] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => {
      throw new Error(`the ${kind} RPC server exited (${code}) while starting`);
    }),
  ])) as [{ ports: { h1: number; h2: number } }];
  return {
    kind,
    child,
    ports: message.ports,
    cpu: async () => {
      child.send("cpu");
      const [answer] = (await once(child, "message")) as [{ cpu: NodeJS.CpuUsage; rss: number }];
      return answer;
    },
  };
}

function body(protocol: Protocol, id: string): Buffer {
  const request = create(GetProductRequestSchema, { id });
  if (protocol === "connect-json") return Buffer.from(toJsonString(GetProductRequestSchema, request));
  const message = toBinary(GetProductRequestSchema, request);
  if (protocol === "connect-binary") return Buffer.from(message);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** Closed-loop load: `concurrency` requests in flight for `durationMs`; the latency of each answered one. */
async function load(server: Server, protocol: Protocol, call: Call, durationMs: number, concurrency: number): Promise<{ requests: number; errors: number; latency: LatencyHistogram; seconds: number }> {
  const payload = body(protocol, call === "no-db" ? noDatabaseProductId : demoProductId("BOOK-SRE"));
  const latency = new LatencyHistogram();
  let requests = 0;
  let errors = 0;
  const until = performance.now() + durationMs;
  const started = performance.now();
  /** `concurrency` workers, each sending the next request when its last one is answered. */
  const closedLoop = (one: () => Promise<boolean>) =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const at = performance.now();
          const ok = await one();
          latency.record(performance.now() - at);
          if (ok) requests++;
          else errors++;
        }
      }),
    );
  if (protocol === "grpc") {
    const session = http2.connect(`http://127.0.0.1:${server.ports.h2}`);
    session.on("error", () => {});
    const one = () =>
      new Promise<boolean>((resolve) => {
        const stream = session.request({ ":method": "POST", ":path": rpcPath, "content-type": "application/grpc+proto", te: "trailers" });
        let status = "";
        stream.on("trailers", (trailers: http2.IncomingHttpHeaders) => (status = String(trailers["grpc-status"] ?? "")));
        stream.on("response", (headers) => {
          if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
        });
        stream.on("data", () => {});
        stream.on("end", () => resolve(status === "0"));
        stream.on("error", () => resolve(false));
        stream.end(payload);
      });
    await closedLoop(one);
    session.close();
  } else {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const contentType = protocol === "connect-json" ? "application/json" : "application/proto";
    const one = () =>
      new Promise<boolean>((resolve) => {
        const req = http.request(
          { agent, host: "127.0.0.1", port: server.ports.h1, method: "POST", path: rpcPath, headers: { "content-type": contentType, "content-length": payload.length } },
          (res) => {
            res.on("data", () => {});
            res.on("end", () => resolve(res.statusCode === 200));
            res.on("error", () => resolve(false));
          },
        );
        req.on("error", () => resolve(false));
        req.end(payload);
      });
    await closedLoop(one);
    agent.destroy();
  }
  return { requests, errors, latency, seconds: (performance.now() - started) / 1000 };
}

export async function runRpcBench(options: {
  databaseUrl: string;
  brokers: string[];
  durationMs: number;
  concurrency: number;
  log: (line: string) => void;
  /** Only these calls and protocols (all by default). */
  calls?: Call[];
  protocols?: Protocol[];
}): Promise<RpcResults> {
  const env = { DATABASE_URL: options.databaseUrl, KAFKA_BROKERS: options.brokers.join(","), CATALOG_SEED: "true", LOG_LEVEL: "info" };
  const servers: Server[] = [];
  const cells: RpcCell[] = [];
  const rssMb = {} as Record<ServerKind, number>;
  try {
    // The platform first: it migrates and seeds the catalog database the others read.
    for (const kind of ["platform", "connect", "raw"] as const) servers.push(await startServer(kind, env));
    for (const call of options.calls ?? (["no-db", "GetProduct"] as const)) {
      for (const protocol of options.protocols ?? (["connect-json", "connect-binary", "grpc"] as const)) {
        for (const server of servers) {
          await load(server, protocol, call, Math.min(500, options.durationMs / 4), options.concurrency); // warm-up
          const before = (await server.cpu()).cpu;
          const run = await load(server, protocol, call, options.durationMs, options.concurrency);
          const after = (await server.cpu()).cpu;
          const cpuMs = (after.user - before.user + after.system - before.system) / 1000;
          const cell: RpcCell = {
            server: server.kind,
            protocol,
            call,
            requests: run.requests,
            errors: run.errors,
            rps: Math.round(run.requests / run.seconds),
            latency: run.latency.summary(),
            cpuMsPerRequest: run.requests > 0 ? Math.round((cpuMs / run.requests) * 1000) / 1000 : Number.NaN,
          };
          cells.push(cell);
          options.log(`  ${call.padEnd(10)} ${protocol.padEnd(14)} ${server.kind.padEnd(8)} ${String(cell.rps).padStart(6)} req/s  p50 ${cell.latency.p50} ms  p99 ${cell.latency.p99} ms  server CPU ${cell.cpuMsPerRequest} ms/req${cell.errors ? `  ERRORS ${cell.errors}` : ""}`);
        }
      }
    }
    for (const server of servers) rssMb[server.kind] = Math.round((await server.cpu()).rss / 1024 / 1024);
  } finally {
    for (const server of servers) {
      const exited = once(server.child, "exit");
      server.child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  }
  return { durationMs: options.durationMs, concurrency: options.concurrency, cells, rssMb };
}
