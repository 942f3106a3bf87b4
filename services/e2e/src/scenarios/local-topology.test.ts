import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serviceNames } from "@meshmart/topology";
import { toxicFelt } from "./local-network-faults.ts";
import { localTopology } from "./local-topology.ts";

describe("the local scenario stack's layout", () => {
  const t = localTopology(27400);

  it("puts every port on the 60 from the base, none twice", () => {
    const ports = [
      t.base,
      ...Object.values(t.servicePort),
      ...t.proxies(26433).map((p) => p.listenPort),
      ...t.kafkaListeners.map((l) => l.port),
      t.retryingProxyPort,
      ...[0, 1, 2, 3, 4].map((i) => t.extraPort(i)),
    ];
    assert.equal(new Set(ports).size, ports.length);
    for (const port of ports) assert.ok(port >= 27400 && port < 27460, String(port));
  });

  it("sends every service's callees, database and broker through its own proxies", () => {
    const env = t.serviceEnv("orders", "postgres://postgres:postgres@127.0.0.1:26433/orders_abc");
    assert.equal(env.CATALOG_URL, `http://127.0.0.1:${t.proxyPort({ to: "service", service: "catalog" })}`);
    assert.equal(env.DATABASE_URL, `postgres://postgres:postgres@127.0.0.1:${t.proxyPort({ to: "postgres", service: "orders" })}/orders_abc`);
    assert.equal(env.KAFKA_BROKERS, `127.0.0.1:${t.proxyPort({ to: "kafka", service: "orders" })}`);
    assert.equal(t.serviceEnv("gateway", undefined).KAFKA_BROKERS, `127.0.0.1:${t.proxyPort({ to: "kafka", service: "gateway" })}`, "the gateway reads catalog's events for its product cache");
    assert.equal(t.serviceEnv("gateway", undefined).DATABASE_URL, undefined, "the gateway has no database");
    assert.equal(t.gatewayUrl, `http://127.0.0.1:${t.proxyPort({ to: "service", service: "gateway" })}`);
  });

  it("gives each Kafka-using service a listener that advertises its proxy, and the proxy forwards to that listener", () => {
    for (const listener of t.kafkaListeners) {
      const name = listener.name.replace("PROXY_", "").toLowerCase() as (typeof serviceNames)[number];
      const proxy = t.proxies(26433).find((p) => p.name === `kafka-${name}`)!;
      assert.equal(listener.advertised, `127.0.0.1:${proxy.listenPort}`);
      assert.equal(proxy.upstream, `127.0.0.1:${listener.port}`);
    }
    assert.ok(t.kafkaListeners.some((l) => l.name === "PROXY_GATEWAY"), "the gateway reads catalog's events for its product cache");
  });
});

describe("a toxic counts as injected only when a probe through its proxy feels it", () => {
  const before = { ms: 10, chunks: 1, bytes: 5000 };
  it("latency, bandwidth, timeout, reset_peer, slicer", () => {
    assert.equal(toxicFelt({ type: "latency", attributes: { latency: 300, jitter: 200 } }, before, { ms: 250, chunks: 1, bytes: 5000 }).confirmed, true);
    assert.equal(toxicFelt({ type: "latency", attributes: { latency: 300, jitter: 200 } }, before, { ms: 40, chunks: 1, bytes: 5000 }).confirmed, false);
    assert.equal(toxicFelt({ type: "bandwidth", attributes: { rate: 16 } }, before, { ms: 4_000 }).confirmed, true);
    assert.equal(toxicFelt({ type: "timeout", attributes: { timeout: 2_000 } }, before, { ms: 2_100, error: "Connection terminated" }).confirmed, true);
    assert.equal(toxicFelt({ type: "reset_peer", attributes: { timeout: 500 } }, before, { ms: 12 }).confirmed, false);
    assert.equal(toxicFelt({ type: "slicer", attributes: { average_size: 24, size_variation: 16, delay: 200 } }, before, { ms: 90, chunks: 210, bytes: 5000 }).confirmed, true);
    assert.equal(toxicFelt({ type: "slicer", attributes: { average_size: 24, size_variation: 16, delay: 200 } }, before, { ms: 90, chunks: 210, bytes: 4000 }).confirmed, false, "an answer that did not come whole");
  });
});
