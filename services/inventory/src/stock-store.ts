// SQL for stock rows. Counts are bigint in Postgres and in TypeScript; rows
// that reservations change are locked in product id order, the one order
// every transaction uses, so that two orders sharing products never deadlock.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { StockSchema, type Stock } from "@meshmart/proto/inventory/v1/inventory_pb";
import type { Queryable, Transaction } from "@meshmart/platform";

export type StockRow = {
  product_id: string;
  available: string; // pg returns bigint as text
  reserved: string;
  sold: string;
  stocked: string;
  version: string;
  updated_at: Date;
};

/** Units of one product moved by a reservation. */
export interface StockItem {
  productId: string;
  quantity: number;
}

/** The columns a reservation moves units between. */
export type Bucket = "available" | "reserved" | "sold";

const columns = "product_id, available, reserved, sold, stocked, version, updated_at";

export function toStock(row: StockRow): Stock {
  return create(StockSchema, {
    productId: row.product_id,
    available: BigInt(row.available),
    reserved: BigInt(row.reserved),
    sold: BigInt(row.sold),
    stocked: BigInt(row.stocked),
    updateTime: timestampFromDate(row.updated_at),
  });
}

/** A product with no stock record: all counts 0, no update time. */
export function noStock(productId: string): Stock {
  return create(StockSchema, { productId });
}

export async function getStocks(db: Queryable, productIds: string[]): Promise<Map<string, StockRow>> {
  const { rows } = await db.query<StockRow>(`SELECT ${columns} FROM stock WHERE product_id = ANY($1::uuid[])`, [productIds]);
  return new Map(rows.map((row) => [row.product_id, row]));
}

/** Every stock record, by product id (Audit). */
export async function listStocks(db: Queryable): Promise<StockRow[]> {
  const { rows } = await db.query<StockRow>(`SELECT ${columns} FROM stock ORDER BY product_id`);
  return rows;
}

/** Locks the stock rows of `productIds` in product id order; missing products are absent from the map. */
export async function lockStocks(tx: Transaction, productIds: string[]): Promise<Map<string, StockRow>> {
  const { rows } = await tx.query<StockRow>(
    `SELECT ${columns} FROM stock WHERE product_id = ANY($1::uuid[]) ORDER BY product_id FOR UPDATE`,
    [productIds],
  );
  return new Map(rows.map((row) => [row.product_id, row]));
}

/** Moves each item's quantity from one bucket to another; the rows must be locked already. */
export async function moveUnits(tx: Transaction, items: StockItem[], from: Bucket, to: Bucket): Promise<void> {
  if (items.length === 0) return;
  const { rowCount } = await tx.query(
    `UPDATE stock SET ${from} = stock.${from} - m.quantity, ${to} = stock.${to} + m.quantity
     FROM unnest($1::uuid[], $2::bigint[]) AS m(product_id, quantity)
     WHERE stock.product_id = m.product_id`,
    [items.map((item) => item.productId), items.map((item) => item.quantity)],
  );
  // Stock rows are never deleted, so a reserved product always has one.
  if (rowCount !== items.length) throw new Error(`moved units of ${rowCount} products, expected ${items.length}`);
}

/**
 * Sets the available units of a product, creating its record if needed; the
 * difference to the previous available count goes to `stocked`. Setting the
 * current value changes nothing (no new version, no notification).
 */
export async function setAvailable(db: Queryable, productId: string, available: bigint): Promise<StockRow> {
  const { rows } = await db.query<StockRow>(
    `INSERT INTO stock (product_id, available, stocked) VALUES ($1, $2, $2)
     ON CONFLICT (product_id) DO UPDATE
       SET stocked = stock.stocked + EXCLUDED.available - stock.available, available = EXCLUDED.available
       WHERE stock.available <> EXCLUDED.available
     RETURNING ${columns}`,
    [productId, available.toString()],
  );
  if (rows[0]) return rows[0];
  // Already at that value: a new statement sees the row, even one another transaction just inserted.
  return (await getStocks(db, [productId])).get(productId.toLowerCase())!;
}

/** Creates stock records for products that have none; returns how many were new. */
export async function insertMissingStock(db: Queryable, entries: Array<{ productId: string; available: number }>): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO stock (product_id, available, stocked)
     SELECT product_id, available, available FROM unnest($1::uuid[], $2::bigint[]) AS s(product_id, available)
     ON CONFLICT (product_id) DO NOTHING`,
    [entries.map((entry) => entry.productId), entries.map((entry) => entry.available)],
  );
  return rowCount ?? 0;
}
