// The read-through cache's logic on its own (the feed that drives it on real
// Kafka is exercised by orders' product-cache test).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { ReadThroughCache } from "./read-through-cache.ts";

interface Item {
  price: number;
}

/** A source that counts what it is asked and answers from `prices`. */
function source(prices: Map<string, number>) {
  const asked: string[][] = [];
  return {
    asked,
    load: async (keys: string[]) => {
      asked.push(keys);
      return new Map(keys.flatMap((key) => (prices.has(key) ? [[key, { price: prices.get(key)! }] as const] : [])));
    },
  };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("ReadThroughCache", () => {
  it("answers a second read from memory, asks the source only for what it lacks, and counts hits and misses", async () => {
    const registry = new Registry();
    const cache = new ReadThroughCache<Item>({ name: "t", ttlMs: 60_000, registry });
    cache.setLive(true);
    const prices = new Map([["a", 1], ["b", 2]]);
    const src = source(prices);
    assert.deepEqual([...(await cache.getMany(["a"], src.load))], [["a", { price: 1 }]]);
    const both = await cache.getMany(["a", "b", "gone"], src.load);
    assert.deepEqual([...both.keys()].sort(), ["a", "b"]);
    assert.deepEqual(src.asked, [["a"], ["b", "gone"]], "a came from memory; the missing key is asked again, never cached");
    assert.equal(await metric(registry, "cache_hits_total", { cache: "t" }), 1);
    assert.equal(await metric(registry, "cache_misses_total", { cache: "t" }), 3);
  });

  it("drops an invalidated key, so that the next read sees the new value", async () => {
    const registry = new Registry();
    const cache = new ReadThroughCache<Item>({ name: "t", ttlMs: 60_000, registry });
    cache.setLive(true);
    const prices = new Map([["a", 1]]);
    const src = source(prices);
    await cache.getMany(["a"], src.load);
    prices.set("a", 5);
    assert.equal((await cache.get("a", async () => ({ price: prices.get("a")! })))?.price, 1, "cached until told");
    cache.invalidate("a");
    assert.equal((await cache.getMany(["a"], src.load)).get("a")?.price, 5);
    assert.equal(await metric(registry, "cache_invalidations_total", { cache: "t", reason: "event" }), 1);
  });

  it("does not store what a load read before an invalidation that arrived while it ran", async () => {
    const cache = new ReadThroughCache<Item>({ name: "t", ttlMs: 60_000, registry: new Registry() });
    cache.setLive(true);
    let release!: () => void;
    const slow = cache.getMany(["a", "b"], async (keys) => {
      await new Promise<void>((resolve) => (release = resolve));
      return new Map(keys.map((key) => [key, { price: 1 }]));
    });
    await sleep(5);
    cache.invalidate("a"); // the price changed after the source answered for it
    release();
    assert.equal((await slow).get("a")?.price, 1, "the caller still gets its answer");
    const again = source(new Map([["a", 2], ["b", 2]]));
    const after = await cache.getMany(["a", "b"], again.load);
    assert.deepEqual(again.asked, [["a"]], "b was stored, a was not");
    assert.equal(after.get("a")?.price, 2);
  });

  it("bypasses memory while its feed is not live, and starts empty each time the feed (re)joins", async () => {
    const cache = new ReadThroughCache<Item>({ name: "t", ttlMs: 60_000, registry: new Registry() });
    const src = source(new Map([["a", 1]]));
    await cache.getMany(["a"], src.load);
    await cache.getMany(["a"], src.load);
    assert.equal(src.asked.length, 2, "not live yet: nothing stored");
    assert.equal(cache.size, 0);
    cache.setLive(true);
    await cache.getMany(["a"], src.load);
    await cache.getMany(["a"], src.load);
    assert.equal(src.asked.length, 3);
    cache.setLive(false); // the feed lost the broker: events may be missed from now on
    assert.equal(cache.size, 0);
    await cache.getMany(["a"], src.load);
    assert.equal(src.asked.length, 4);
    cache.setLive(true);
    assert.equal(cache.size, 0, "rejoined: empty, whatever was missed meanwhile");
  });

  it("serves an entry no longer than its TTL, and with TTL 0 is off", async () => {
    const cache = new ReadThroughCache<Item>({ name: "t", ttlMs: 40, registry: new Registry() });
    cache.setLive(true);
    const src = source(new Map([["a", 1]]));
    await cache.getMany(["a"], src.load);
    await cache.getMany(["a"], src.load);
    assert.equal(src.asked.length, 1);
    await sleep(80);
    await cache.getMany(["a"], src.load);
    assert.equal(src.asked.length, 2, "expired");

    const off = new ReadThroughCache<Item>({ name: "off", ttlMs: 0, registry: new Registry() });
    off.setLive(true);
    const direct = source(new Map([["a", 1]]));
    await off.getMany(["a"], direct.load);
    await off.getMany(["a"], direct.load);
    assert.equal(off.enabled, false);
    assert.equal(direct.asked.length, 2);
  });

  it("holds at most maxEntries, dropping the least recently used", async () => {
    const cache = new ReadThroughCache<Item>({ name: "t", ttlMs: 60_000, maxEntries: 2, registry: new Registry() });
    cache.setLive(true);
    const src = source(new Map([["a", 1], ["b", 2], ["c", 3]]));
    await cache.getMany(["a", "b"], src.load);
    await cache.getMany(["a"], src.load); // a is now the most recent
    await cache.getMany(["c"], src.load); // evicts b
    assert.equal(cache.size, 2);
    await cache.getMany(["a", "b"], src.load);
    assert.deepEqual(src.asked.at(-1), ["b"]);
  });
});
