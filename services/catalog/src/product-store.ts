// SQL for products. Rows map to the proto Product; money stays in integer
// minor units end to end (bigint in Postgres, bigint in TypeScript).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ProductSchema, type Product } from "@meshmart/proto/catalog/v1/catalog_pb";
import { keysetPage, SqlConditions, type Queryable } from "@meshmart/platform";

type ProductRow = {
  id: string;
  sku: string;
  name: string;
  description: string;
  currency_code: string;
  price_minor: string; // pg returns bigint as text
  category: string;
  image_urls: string[];
  created_at: Date;
  updated_at: Date;
};

export interface NewProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  currencyCode: string;
  priceMinor: bigint;
  category: string;
  imageUrls: string[];
}

export type ProductChanges = Partial<Omit<NewProduct, "id">>;

export interface ProductFilter {
  category?: string;
  minPriceMinor?: bigint;
  maxPriceMinor?: bigint;
}

const columns = "id, sku, name, description, currency_code, price_minor, category, image_urls, created_at, updated_at";

export function toProduct(row: ProductRow): Product {
  return create(ProductSchema, {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    price: { currencyCode: row.currency_code, unitsMinor: BigInt(row.price_minor) },
    category: row.category,
    imageUrls: row.image_urls,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}

export async function getProduct(db: Queryable, id: string, forUpdate = false): Promise<Product | undefined> {
  const { rows } = await db.query<ProductRow>(
    `SELECT ${columns} FROM products WHERE id = $1${forUpdate ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0] && toProduct(rows[0]);
}

export async function getProducts(db: Queryable, ids: string[]): Promise<Map<string, Product>> {
  const { rows } = await db.query<ProductRow>(`SELECT ${columns} FROM products WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((row) => [row.id, toProduct(row)]));
}

/** One page in id order, after `afterId`; fetches one extra row to know whether more follow. */
export async function listProducts(
  db: Queryable,
  filter: ProductFilter,
  limit: number,
  afterId?: string,
): Promise<{ products: Product[]; more: boolean }> {
  const conditions = new SqlConditions();
  if (filter.category) conditions.add("category = ?", filter.category);
  if (filter.minPriceMinor !== undefined) conditions.add("price_minor >= ?", filter.minPriceMinor.toString());
  if (filter.maxPriceMinor !== undefined) conditions.add("price_minor <= ?", filter.maxPriceMinor.toString());
  if (afterId) conditions.add("id > ?", afterId);
  const { rows } = await db.query<ProductRow>(
    `SELECT ${columns} FROM products ${conditions.where} ORDER BY id LIMIT ${conditions.param(limit + 1)}`,
    conditions.values,
  );
  const { page, more } = keysetPage(rows, limit);
  return { products: page.map(toProduct), more };
}

const insertSql = `INSERT INTO products (id, sku, name, description, currency_code, price_minor, category, image_urls)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;

const insertValues = (p: NewProduct) => [p.id, p.sku, p.name, p.description, p.currencyCode, p.priceMinor.toString(), p.category, p.imageUrls];

export async function insertProduct(db: Queryable, product: NewProduct): Promise<Product> {
  const { rows } = await db.query<ProductRow>(`${insertSql} RETURNING ${columns}`, insertValues(product));
  return toProduct(rows[0]!);
}

/** Inserts the product unless its id or sku is taken; returns it when it was new. */
export async function insertMissingProduct(db: Queryable, product: NewProduct): Promise<Product | undefined> {
  const { rows } = await db.query<ProductRow>(`${insertSql} ON CONFLICT DO NOTHING RETURNING ${columns}`, insertValues(product));
  return rows[0] && toProduct(rows[0]);
}

const changeColumns: Record<keyof ProductChanges, string> = {
  sku: "sku",
  name: "name",
  description: "description",
  currencyCode: "currency_code",
  priceMinor: "price_minor",
  category: "category",
  imageUrls: "image_urls",
};

export async function updateProduct(db: Queryable, id: string, changes: ProductChanges): Promise<Product | undefined> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const [key, value] of Object.entries(changes) as [keyof ProductChanges, unknown][]) {
    if (value === undefined) continue;
    values.push(typeof value === "bigint" ? value.toString() : value);
    sets.push(`${changeColumns[key]} = $${values.length}`);
  }
  const { rows } = await db.query<ProductRow>(
    `UPDATE products SET ${[...sets, "updated_at = now()"].join(", ")} WHERE id = $1 RETURNING ${columns}`,
    values,
  );
  return rows[0] && toProduct(rows[0]);
}

export async function deleteProduct(db: Queryable, id: string): Promise<Product | undefined> {
  const { rows } = await db.query<ProductRow>(`DELETE FROM products WHERE id = $1 RETURNING ${columns}`, [id]);
  return rows[0] && toProduct(rows[0]);
}

/** True when `err` is the unique violation of the sku column. */
export function isDuplicateSku(err: unknown): boolean {
  const pgError = err as { code?: string; constraint?: string };
  return pgError?.code === "23505" && pgError.constraint === "products_sku_key";
}
