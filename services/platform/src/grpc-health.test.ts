// grpc.health.v1 on a service port, checked with the real grpc-health-probe
// (scripts/tools/ensure-tool.sh) and a gRPC client: SERVING, NOT_SERVING while
// a dependency check fails and while the service drains, Watch following
// readiness, unknown services refused.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { Health, HealthCheckResponse_ServingStatus as Status } from "@meshmart/proto/grpc/health/v1/health_pb";
import { ensureTools } from "@meshmart/infra/tools";
import { startService, type RunningService } from "./service.ts";
import { eventually } from "./test-support.ts";

// Built once per machine by ensure-tool.sh; a machine that cannot build it fails here, not skips.
const tools = await ensureTools(["grpc-health-probe"]);

/** A catalog without a database, with one dependency check the test turns on and off. */
async function startCatalog(env: Record<string, string> = {}) {
  let dependencyDown = false;
  const service = await startService(
    {
      name: "catalog",
      rpc: (router) => router.service(CatalogService, { listProducts: () => ({ products: [] }) }),
      workers: (runtime) => {
        runtime.health.addCheck("dependency", async () => {
          if (dependencyDown) throw new Error("dependency is down");
        });
        return [];
      },
    },
    { env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", ...env } },
  );
  return { service, setDependencyDown: (down: boolean) => void (dependencyDown = down) };
}

/** Runs grpc-health-probe (asynchronously: the service answers from this very process). */
function probe(port: number, ...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(tools["grpc-health-probe"], ["-addr", `127.0.0.1:${port}`, "-connect-timeout", "3s", "-rpc-timeout", "3s", ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

describe("grpc.health.v1", () => {
  let catalog: Awaited<ReturnType<typeof startCatalog>>;
  let service: RunningService;
  before(async () => {
    catalog = await startCatalog();
    service = catalog.service;
  });
  after(() => service.stop());

  it("grpc-health-probe answers SERVING for the server and for the service the port serves", async () => {
    for (const args of [[], ["-service", "meshmart.catalog.v1.CatalogService"]]) {
      const result = await probe(service.port, ...args);
      assert.equal(result.code, 0, result.output);
      assert.equal(result.output, "status: SERVING");
    }
  });

  it("grpc-health-probe gets NOT_FOUND for a service the port does not serve", async () => {
    const result = await probe(service.port, "-service", "meshmart.orders.v1.OrderService");
    assert.equal(result.code, 3, result.output); // 3: the RPC failed
    assert.match(result.output, /NotFound/);
  });

  it("answers NOT_SERVING while a dependency check fails, SERVING again once it passes", async () => {
    catalog.setDependencyDown(true);
    try {
      const result = await probe(service.port);
      assert.equal(result.code, 4, result.output); // 4: unhealthy
      assert.match(result.output, /NOT_SERVING/);
    } finally {
      catalog.setDependencyDown(false);
    }
    assert.equal((await probe(service.port)).code, 0);
  });

  it("answers Check over Connect with JSON on HTTP/1.1 too", async () => {
    const client = createClient(Health, createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }));
    assert.equal((await client.check({})).status, Status.SERVING);
  });

  it("Watch sends the status, then every change of it", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: service.url }));
    const abort = new AbortController();
    const seen: Status[] = [];
    const watching = (async () => {
      try {
        for await (const response of client.watch({}, { signal: abort.signal })) seen.push(response.status);
      } catch {
        // aborted below
      }
    })();
    await eventually(() => (seen.length === 1 ? true : undefined), { what: "the first Watch message" });
    catalog.setDependencyDown(true);
    await eventually(() => (seen.length === 2 ? true : undefined), { what: "NOT_SERVING on Watch" });
    catalog.setDependencyDown(false);
    await eventually(() => (seen.length === 3 ? true : undefined), { what: "SERVING again on Watch" });
    abort.abort();
    await watching;
    assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING, Status.SERVING]);
  });

  it("Watch of an unknown service says SERVICE_UNKNOWN and stays open", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: service.url }));
    const abort = new AbortController();
    const stream = client.watch({ service: "no.such.Service" }, { signal: abort.signal })[Symbol.asyncIterator]();
    const first = await stream.next();
    assert.equal(first.done, false);
    assert.equal(first.value.status, Status.SERVICE_UNKNOWN);
    abort.abort();
    await assert.rejects(stream.next(), /aborted|canceled/i);
  });
});

describe("grpc.health.v1 while draining", () => {
  it("Watch says NOT_SERVING and ends; grpc-health-probe and /readyz say not serving until the port closes", async () => {
    const { service } = await startCatalog({ DRAIN_DELAY_MS: "3000" });
    const client = createClient(Health, createGrpcTransport({ baseUrl: service.url }));
    const seen: Status[] = [];
    const watching = (async () => {
      for await (const response of client.watch({ service: "meshmart.catalog.v1.CatalogService" })) seen.push(response.status);
    })();
    await eventually(() => (seen.length === 1 ? true : undefined), { what: "the first Watch message" });
    const stopped = service.stop();
    await watching; // ends without an error
    assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);

    const result = await probe(service.port);
    assert.equal(result.code, 4, result.output);
    assert.match(result.output, /NOT_SERVING/);
    const readyz = await fetch(`${service.url}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal(((await readyz.json()) as { draining: boolean }).draining, true);

    await stopped;
    const closed = await probe(service.port);
    assert.equal(closed.code, 2, closed.output); // 2: could not connect
  });
});
