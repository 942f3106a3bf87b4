// A proxy that retries POSTs the way a default-retrying mesh or client library
// does after an answer it never got: it forwards each request, waits for the
// upstream's answer, and for the chosen method sends the very same request
// again `repeats` more times before answering the caller (with the last
// answer). Every repeat reaches the upstream as a second delivery of a request
// that already took effect: exactly what an idempotent write must survive.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RetryingProxy {
  readonly url: string;
  /** Requests received, and the extra deliveries it made of them. */
  stats(): { requests: number; repeats: number; statuses: Record<string, number> };
  close(): Promise<void>;
}

export async function startRetryingProxy(options: { port: number; upstream: string; method: string; repeats: number }): Promise<RetryingProxy> {
  let requests = 0;
  let repeats = 0;
  const statuses: Record<string, number> = {};
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests++;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).flatMap(([k, v]) => (k === "host" || k === "content-length" || v === undefined ? [] : [[k, String(v)]])));
      const send = () => fetch(`${options.upstream}${req.url ?? "/"}`, { method: req.method ?? "POST", headers, body: req.method === "GET" ? undefined : body, signal: AbortSignal.timeout(10_000) });
      let answer = await send();
      if (req.method === "POST" && (req.url ?? "").endsWith(`/${options.method}`)) {
        for (let i = 0; i < options.repeats; i++) {
          await answer.arrayBuffer(); // the first answer "lost": delivered again
          repeats++;
          answer = await send();
        }
      }
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      const out = Object.fromEntries([...answer.headers].filter(([k]) => !["content-length", "transfer-encoding", "content-encoding", "connection"].includes(k)));
      res.writeHead(answer.status, out);
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (err) {
      statuses.error = (statuses.error ?? 0) + 1;
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`retrying proxy: ${(err as Error).message}`);
    }
  };
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ requests, repeats, statuses: { ...statuses } }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
