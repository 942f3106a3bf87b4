import assert from "node:assert/strict";
import { test } from "node:test";
import { serverProperties } from "./kafka-config.ts";

const base = { port: 9092, controllerPort: 9093, dataDir: "/tmp/kafka" };
const setting = (text: string, key: string) => new RegExp(`^${key.replaceAll(".", "\\.")}=(.*)$`, "m").exec(text)?.[1];

test("one client listener by default, advertised as itself", () => {
  const text = serverProperties(base);
  assert.equal(setting(text, "listeners"), "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093");
  assert.equal(setting(text, "advertised.listeners"), "PLAINTEXT://127.0.0.1:9092");
});

test("an extra listener per proxied client advertises its proxy, on PLAINTEXT", () => {
  const text = serverProperties({ ...base, extraListeners: [{ name: "PROXY_ORDERS", port: 27441, advertised: "127.0.0.1:27431" }] });
  assert.equal(setting(text, "listeners"), "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,PROXY_ORDERS://127.0.0.1:27441");
  assert.equal(setting(text, "advertised.listeners"), "PLAINTEXT://127.0.0.1:9092,PROXY_ORDERS://127.0.0.1:27431");
  assert.equal(setting(text, "listener.security.protocol.map"), "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXY_ORDERS:PLAINTEXT");
  assert.equal(setting(text, "inter.broker.listener.name"), "PLAINTEXT");
  assert.throws(() => serverProperties({ ...base, extraListeners: [{ name: "CONTROLLER", port: 1, advertised: "x:1" }] }), /bad Kafka listener name/);
});

test("keeps events forever: the order-history projection rebuilds from the beginning of its topics", () => {
  const text = serverProperties(base);
  assert.equal(setting(text, "log.retention.ms"), "-1");
  assert.equal(setting(text, "log.retention.hours"), undefined, "no other retention setting that would win");
});
