// The change feed behind WatchStock. One LISTEN session per replica hears
// every committed stock change, whichever replica made it (a trigger NOTIFYs
// the new row), and hands it to the streams watching that product. Streams
// end when their client goes away, when the service drains, or on stop. If
// the session drops, notifications sent meanwhile are lost, so after
// reconnecting every stream is told to re-read its products.
import { Code, ConnectError } from "@connectrpc/connect";
import { retrying, type Logger, type Worker } from "@meshmart/platform";
import pg from "pg";
import type { StockRow } from "./stock-store.ts";

/** The channel the stock_notify trigger (migrations/001_stock.sql) sends on. */
export const stockChannel = "meshmart_stock";

/** What a stream should send next: changed rows, and whether to re-read everything first. */
export interface StockUpdate {
  rows: StockRow[];
  resync: boolean;
}

export interface StockWatcherOptions {
  connectionString: string;
  logger: Logger;
  /** True once the service drains: open streams end and new ones are refused. */
  /** Aborted when the service starts draining: every open stream ends then. */
  draining: AbortSignal;
}

/**
 * One stream's view of the feed. Changes are coalesced per product (only the
 * newest version matters), so a slow client holds at most one row per product.
 */
export class StockSubscription implements AsyncIterable<StockUpdate> {
  private readonly pending = new Map<string, StockRow>();
  private resync = false;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly productIds: ReadonlySet<string>,
    private readonly onClose: (subscription: StockSubscription) => void,
  ) {}

  change(row: StockRow): void {
    const queued = this.pending.get(row.product_id);
    if (queued && BigInt(queued.version) >= BigInt(row.version)) return;
    this.pending.set(row.product_id, row);
    this.wake?.();
  }

  markResync(): void {
    this.resync = true;
    this.wake?.();
  }

  /** Ends the stream: the iteration finishes. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Ends the stream and unregisters it. */
  close(): void {
    this.end();
    this.onClose(this);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StockUpdate> {
    while (!this.ended) {
      if (this.pending.size > 0 || this.resync) {
        const update = { rows: [...this.pending.values()], resync: this.resync };
        this.pending.clear();
        this.resync = false;
        yield update;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export class StockWatcher implements Worker {
  private session: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly subscriptions = new Set<StockSubscription>();
  private stopped = false;

  constructor(private readonly options: StockWatcherOptions) {
    // The server waits for open requests before stopping workers: streams must end on the drain itself.
    options.draining.addEventListener("abort", () => this.endAll(), { once: true });
  }

  /**
   * Subscribes to changes of `productIds` until `signal` aborts. Resolves once
   * the LISTEN is in place, so a snapshot read after it misses no change.
   */
  async watch(productIds: string[], signal: AbortSignal): Promise<StockSubscription> {
    if (this.stopped || this.options.draining.aborted) throw new ConnectError("inventory is shutting down", Code.Unavailable);
    const subscription = new StockSubscription(new Set(productIds.map((id) => id.toLowerCase())), (closed) => {
      this.subscriptions.delete(closed);
    });
    // Registered before connecting: a reconnect from now on reaches it.
    this.subscriptions.add(subscription);
    try {
      await this.connect();
    } catch (err) {
      subscription.close();
      throw err;
    }
    if (signal.aborted) subscription.close();
    else signal.addEventListener("abort", () => subscription.close(), { once: true });
    return subscription;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.endAll();
    await this.connecting?.catch(() => {});
    const session = this.session;
    this.session = undefined;
    await session?.end().catch(() => {});
  }

  private connect(): Promise<void> {
    if (this.session) return Promise.resolve();
    return (this.connecting ??= this.open().finally(() => (this.connecting = undefined)));
  }

  private async open(): Promise<void> {
    const session = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 5_000 });
    session.on("notification", (message) => this.dispatch(message.payload));
    session.on("error", (err) => this.lost(session, err));
    session.on("end", () => this.lost(session));
    try {
      await session.connect();
      await session.query(`LISTEN ${stockChannel}`);
    } catch (err) {
      await session.end().catch(() => {});
      throw new ConnectError(`stock change feed unavailable: ${(err as Error).message}`, Code.Unavailable);
    }
    if (this.stopped) {
      await session.end().catch(() => {});
      throw new ConnectError("inventory is shutting down", Code.Unavailable);
    }
    this.session = session;
  }

  private lost(session: pg.Client, err?: Error): void {
    if (this.session !== session) return; // not (or no longer) the live session
    this.session = undefined;
    session.end().catch(() => {});
    if (this.stopped) return;
    this.options.logger.warn({ err: err?.message }, "stock change feed lost; reconnecting");
    void this.reconnect();
  }

  /** Reconnects while anyone watches; a later watch() connects on demand. */
  private async reconnect(): Promise<void> {
    const nobodyWatches = () => this.stopped || this.subscriptions.size === 0;
    await retrying(
      async () => {
        if (nobodyWatches()) return;
        await this.connect();
        for (const subscription of this.subscriptions) subscription.markResync();
        this.options.logger.info("stock change feed reconnected");
      },
      { retryIf: () => !nobodyWatches() },
    ).catch(() => {}); // given up only when nobody watches any more
  }

  private dispatch(payload: string | undefined): void {
    if (!payload) return;
    const row = parseNotification(payload);
    for (const subscription of this.subscriptions) {
      if (subscription.productIds.has(row.product_id)) subscription.change(row);
    }
  }

  private endAll(): void {
    for (const subscription of this.subscriptions) subscription.end();
  }
}

/** The JSON the stock_notify trigger sends: the new row, counts as text. */
function parseNotification(payload: string): StockRow {
  const json = JSON.parse(payload) as Omit<StockRow, "updated_at"> & { updated_at: string };
  return { ...json, updated_at: new Date(json.updated_at) };
}
