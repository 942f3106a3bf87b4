// InventoryService handlers. Reserve, Release and Commit run the same
// operations as the saga's events (reservations.ts), each in a transaction
// with the event it emits; reads go straight to the stores; WatchStock follows
// the stock change feed.
import type { ServiceImpl } from "@connectrpc/connect";
import { InventoryService } from "@meshmart/proto/inventory/v1/inventory_pb";
import {
  decodePageToken,
  pageSize,
  pageTokenPatterns,
  type Database,
  type Outbox,
} from "@meshmart/platform";
import { listReservations, toReservation } from "./reservation-store.ts";
import { commit, release, reserve } from "./reservations.ts";
import { getStocks, listStocks, noStock, setAvailable, toStock, type StockRow } from "./stock-store.ts";
import type { StockWatcher } from "./stock-watcher.ts";


export function createInventoryService(db: Database, outbox: Outbox, watcher: StockWatcher): ServiceImpl<typeof InventoryService> {
  /** Each id in the order given, with its stock row if it has one. */
  const readStocks = async (productIds: string[]) => {
    const found = await getStocks(db, productIds);
    return productIds.map((id) => ({ id, row: found.get(id.toLowerCase()) }));
  };

  return {
    async getStock({ productIds }) {
      const entries = await readStocks(productIds);
      return { stocks: entries.map(({ id, row }) => (row ? toStock(row) : noStock(id))) };
    },

    async setStock({ productId, available }) {
      return { stock: toStock(await setAvailable(db, productId, available)) };
    },

    async reserve({ orderId, items }) {
      const { reservation } = await db.transaction((tx) => reserve(tx, outbox, orderId, items));
      return { reservation: toReservation(reservation) };
    },

    async release({ orderId }) {
      const { reservation } = await db.transaction((tx) => release(tx, outbox, orderId));
      return { reservation: toReservation(reservation) };
    },

    async commit({ orderId }) {
      const { reservation } = await db.transaction((tx) => commit(tx, outbox, orderId));
      return { reservation: toReservation(reservation) };
    },

    async *watchStock({ productIds }, { signal }) {
      // Listen first, then read: a change committed in between arrives as a notification.
      const subscription = await watcher.watch(productIds, signal);
      try {
        // The version last sent per product: a notification can be older than the snapshot.
        const sent = new Map<string, bigint>();
        const fresh = (row: StockRow) => BigInt(row.version) > (sent.get(row.product_id) ?? 0n);
        for (const { id, row } of await readStocks(productIds)) {
          if (row) sent.set(row.product_id, BigInt(row.version));
          yield { stock: row ? toStock(row) : noStock(id) };
        }
        for await (const update of subscription) {
          const rows = update.resync ? [...(await getStocks(db, productIds)).values()] : update.rows;
          for (const row of rows.filter(fresh)) {
            sent.set(row.product_id, BigInt(row.version));
            yield { stock: toStock(row) };
          }
        }
      } finally {
        subscription.close();
      }
    },

    async audit(req) {
      const after = decodePageToken(req.pageToken, pageTokenPatterns.id);
      // One snapshot for the first page: its stock counts and reservations agree with each other.
      const { stocks, page } = await db.transaction(async (tx) => {
        await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        return {
          stocks: after === undefined ? await listStocks(tx) : [],
          page: await listReservations(tx, pageSize(req.pageSize, 500), after),
        };
      });
      const last = page.reservations.at(-1);
      return {
        stocks: stocks.map(toStock),
        reservations: page.reservations.map(toReservation),
        nextPageToken: page.more && last ? last.order_id : "",
      };
    },
  };
}
