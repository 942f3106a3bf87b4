// `make bench-hostile`: how much memory hostile clients can make a service
// hold with the default limits (docs/limits.md). Starts PostgreSQL and Kafka
// (profile bench) and catalog as a real process with nothing but its port and
// database set, then runs each attack and prints catalog's resident memory
// (RSS) before, at its peak during, and after the attack.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { parseArgs } from "node:util";
import { connectRaw, flags, frame, frameType, headerBlock, openRawHttp2, type RawConnection } from "@meshmart/platform/raw-http2";
import { createTestDatabase } from "@meshmart/platform/test-support";
import { repoRoot } from "@meshmart/infra/paths";
import { startKafka } from "@meshmart/infra/kafka";
import { startPostgres } from "@meshmart/infra/postgres";
import { serviceBundle } from "@meshmart/infra/stack/service-bundles";

const { values: args } = parseArgs({ options: { port: { type: "string", default: "28990" } } });
const port = Number(args.port);
const rpcPath = "/meshmart.catalog.v1.CatalogService/ListProducts";
const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

log("starting PostgreSQL and Kafka (profile bench)...");
const [postgres, kafka] = await Promise.all([startPostgres({ profile: "bench", log: () => {} }), startKafka({ profile: "bench", log: () => {} })]);
process.env.MESHMART_TEST_PG_URL = postgres.adminUrl;
// Its bundle, as its image and the local stack run it.
const catalog = spawn(process.execPath, ["--disable-warning=TimeoutNegativeWarning", "--enable-source-maps", await serviceBundle("catalog")], {
  cwd: repoRoot,
  env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), DATABASE_URL: await createTestDatabase("bench_hostile"), KAFKA_BROKERS: kafka.brokers.join(","), LOG_LEVEL: "warn", CATALOG_SEED: "true" },
  stdio: ["ignore", "ignore", "inherit"],
});

const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${catalog.pid}/status`, "utf8"))?.[1]) * 1024;

async function measure(name: string, attack: () => Promise<() => void>): Promise<void> {
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
  const stop = await attack();
  await sleep(2_000);
  peak = Math.max(peak, rss());
  stop();
  await sleep(6_000); // past the sniff, request and idle timeouts
  clearInterval(sampler);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, (e: Error) => e.message);
  log(`| ${name} | ${mib(before)} | ${mib(peak)} | ${mib(rss())} | ${health} |`);
}

try {
  for (let i = 0; ; i++) {
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error("catalog did not become ready");
    await sleep(200);
  }
  for (let i = 0; i < 200; i++) await fetch(`http://127.0.0.1:${port}${rpcPath}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  await sleep(1_000);
  log("\n| attack (catalog, default limits) | RSS before | RSS peak | RSS 6 s after | /healthz after |");
  log("| --- | --- | --- | --- | --- |");

  await measure("one h2c connection, 12,000 streams without END_STREAM", async () => {
    const conn = await openRawHttp2(port);
    const block = headerBlock({ ":method": "POST", ":scheme": "http", ":path": rpcPath, ":authority": "catalog", "content-type": "application/json" });
    for (let i = 0; i < 12_000; i++) conn.socket.write(frame(frameType.headers, flags.endHeaders, 1 + 2 * i, block));
    return () => conn.socket.destroy();
  });

  await measure("30 h2c connections x 100 streams, each 250 KiB of a body that never ends", async () => {
    const sessions = Array.from({ length: 30 }, () => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", () => {});
      for (let s = 0; s < 100; s++) {
        const stream = session.request({ ":method": "POST", ":path": rpcPath, "content-type": "application/json" }, { endStream: false });
        stream.on("error", () => {});
        stream.write(`{"category":"${"x".repeat(250 * 1024)}`);
      }
      return session;
    });
    return () => sessions.forEach((session) => session.destroy());
  });

  await measure("1,100 idle TCP connections (MAX_CONNECTIONS 1000 + PROBE_CONNECTIONS 16)", async () => {
    const idle: RawConnection[] = [];
    for (let i = 0; i < 1_100; i++) idle.push(await connectRaw(port));
    return () => idle.forEach((conn) => conn.socket.destroy());
  });

  await measure("1,000 HTTP/1.1 connections with headers that never finish", async () => {
    const slow: net.Socket[] = [];
    for (let i = 0; i < 1_000; i++) {
      const conn = await connectRaw(port);
      conn.socket.write(`GET /healthz HTTP/1.1\r\nHost: catalog\r\nX-Slow: ${"x".repeat(8_000)}`);
      slow.push(conn.socket);
    }
    return () => slow.forEach((socket) => socket.destroy());
  });
} finally {
  catalog.kill("SIGTERM");
  await new Promise((resolve) => catalog.once("exit", resolve));
  await Promise.allSettled([kafka.stop(), postgres.stop()]);
}

