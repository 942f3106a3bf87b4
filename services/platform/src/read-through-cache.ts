// An in-process read-through cache (lru-cache for the LRU and TTL part) whose
// entries events invalidate. It stores only while its invalidation feed is
// live (setLive): before the feed has joined, or after it was lost, every
// read goes to the source, since events may be missed then. The TTL is the
// safety net for what the feed cannot see (a feed that is silently stuck).
import { LRUCache } from "lru-cache";
import { Counter, type Registry } from "prom-client";

export interface ReadThroughCacheOptions {
  /** Names the cache in the metrics' `cache` label. */
  name: string;
  /** Longest an entry is served; 0 turns the cache off (every read goes to the source). */
  ttlMs: number;
  /** Most entries held; the least recently used go first. */
  maxEntries?: number;
  registry: Registry;
}

/** A load in flight: the keys invalidated while it ran must not be stored from its (older) answer. */
interface Load {
  readonly keys: ReadonlySet<string>;
  readonly invalidated: Set<string>;
  all: boolean;
}

export class ReadThroughCache<V extends object> {
  private readonly entries: LRUCache<string, V> | undefined;
  private readonly loads = new Set<Load>();
  private live = false;
  private readonly hits: Counter;
  private readonly misses: Counter;
  private readonly invalidations: Counter;

  constructor(private readonly options: ReadThroughCacheOptions) {
    this.entries = options.ttlMs > 0 ? new LRUCache({ max: options.maxEntries ?? 10_000, ttl: options.ttlMs }) : undefined;
    const registers = [options.registry];
    // Shared by every cache of the process (registered once per registry), told apart by `cache`.
    this.hits = counter(options.registry, "cache_hits_total", "Reads answered from an in-process cache.", ["cache"], registers);
    this.misses = counter(options.registry, "cache_misses_total", "Reads an in-process cache sent to the source (absent, expired, or the cache not live).", ["cache"], registers);
    this.invalidations = counter(
      options.registry,
      "cache_invalidations_total",
      "Invalidations of an in-process cache: event (one key, by an event), clear (everything: the feed joined or was lost).",
      ["cache", "reason"],
      registers,
    );
    for (const counter of [this.hits, this.misses]) counter.inc({ cache: options.name }, 0);
  }

  get enabled(): boolean {
    return this.entries !== undefined;
  }

  /** Whether the invalidation feed is connected; either way the cache starts empty (events may have been missed). */
  setLive(live: boolean): void {
    this.live = live;
    this.clear();
  }

  /** The values of `keys` that exist, from the cache or from `loadMissing` (called with the others only, when there are any). */
  async getMany(keys: readonly string[], loadMissing: (keys: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    const found = new Map<string, V>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const value = this.live ? this.entries?.get(key) : undefined;
      if (value === undefined) missing.push(key);
      else found.set(key, value);
    }
    this.hits.inc({ cache: this.options.name }, found.size);
    if (missing.length === 0) return found;
    this.misses.inc({ cache: this.options.name }, missing.length);
    const load: Load = { keys: new Set(missing), invalidated: new Set(), all: false };
    const storing = this.live && this.entries !== undefined;
    if (storing) this.loads.add(load);
    try {
      const loaded = await loadMissing(missing);
      for (const [key, value] of loaded) {
        found.set(key, value);
        if (storing && this.live && !load.all && !load.invalidated.has(key)) this.entries?.set(key, value);
      }
      return found;
    } finally {
      this.loads.delete(load);
    }
  }

  /** One value, from the cache or `load` (undefined: it does not exist, and nothing is stored). */
  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const found = await this.getMany([key], async () => {
      const value = await load();
      return new Map(value === undefined ? [] : [[key, value]]);
    });
    return found.get(key);
  }

  /** Drops `key`, and keeps a load in flight from storing the older value it may carry. */
  invalidate(key: string): void {
    this.entries?.delete(key);
    for (const load of this.loads) if (load.keys.has(key)) load.invalidated.add(key);
    this.invalidations.inc({ cache: this.options.name, reason: "event" });
  }

  /** Drops everything, loads in flight included: `clear` when the feed joined or was lost, `event` when an event may touch any entry. */
  clear(reason: "clear" | "event" = "clear"): void {
    this.entries?.clear();
    for (const load of this.loads) load.all = true;
    this.invalidations.inc({ cache: this.options.name, reason });
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }
}

function counter(registry: Registry, name: string, help: string, labelNames: string[], registers: Registry[]): Counter {
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers });
}
