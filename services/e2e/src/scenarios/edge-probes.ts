// Probes through one proxied edge of the local stack, so that a Toxiproxy
// toxic counts as injected only once a real connection through that proxy
// feels it: an HTTP request to the service (time, how many pieces the answer
// came in, whether it came whole), a query to PostgreSQL, a Kafka metadata
// request.
import net from "node:net";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";

export interface ProbeResult {
  ms: number;
  /** The error, when the probe failed (refused, reset, timed out). */
  error?: string;
  /** HTTP: the answer's pieces as the socket delivered them, its size and status line. */
  chunks?: number;
  bytes?: number;
  status?: string;
}

/** GET /metrics over a raw socket (HTTP/1.1, connection close), through `port`. */
export function probeHttp(port: number, timeoutMs = 10_000): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let chunks = 0;
    let bytes = 0;
    let head = "";
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ ms: Date.now() - started, chunks, bytes, status: head.split("\r\n")[0], ...(error ? { error } : {}) });
    };
    socket.setTimeout(timeoutMs, () => finish("timeout"));
    socket.once("connect", () => socket.write("GET /metrics HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"));
    socket.on("data", (data) => {
      chunks++;
      bytes += data.length;
      if (head.length < 200) head += data.toString("latin1");
    });
    socket.once("end", () => finish(bytes === 0 ? "closed without an answer" : undefined));
    socket.once("error", (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
  });
}

/** A 64 KiB result through the proxy in front of PostgreSQL. */
export async function probePostgres(url: string, timeoutMs = 10_000): Promise<ProbeResult> {
  const started = Date.now();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT repeat('x', 65536) AS filler");
    return { ms: Date.now() - started };
  } catch (err) {
    return { ms: Date.now() - started, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Cluster metadata through the proxy in front of a Kafka listener. */
export async function probeKafka(broker: string, timeoutMs = 10_000): Promise<ProbeResult> {
  const started = Date.now();
  const admin = new Kafka({ clientId: "scenario-probe", brokers: [broker], logLevel: logLevel.NOTHING, connectionTimeout: timeoutMs, requestTimeout: timeoutMs, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [] });
    return { ms: Date.now() - started };
  } catch (err) {
    return { ms: Date.now() - started, error: (err as Error).message.slice(0, 200) };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export function describeProbe(p: ProbeResult): string {
  if (p.error) return `failed after ${p.ms} ms (${p.error})`;
  return `answered in ${p.ms} ms${p.chunks !== undefined ? ` (${p.bytes} bytes in ${p.chunks} piece(s), ${p.status})` : ""}`;
}
