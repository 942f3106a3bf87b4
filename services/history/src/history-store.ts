// SQL of the projection. A summary row holds what summary-fold.ts folded; its
// lines and the products' names are joined in on read, so one query answers a
// page of summaries with their lines and names. Money stays in integer minor
// units (bigint in Postgres and TypeScript).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { keysetPage, SqlConditions, type Queryable, type Transaction } from "@meshmart/platform";
import { OrderSummarySchema, PaymentState, ShipmentState, type OrderSummary } from "@meshmart/proto/history/v1/history_pb";
import { CancelReason, OrderStatus } from "@meshmart/proto/orders/v1/orders_pb";
import type { LineOf, MoneyMinor, PaymentStateName, ShipmentStateName, StatusName, SummaryState } from "./summary-fold.ts";

type SummaryRow = {
  order_id: string;
  customer_id: string | null;
  placed: boolean;
  status: StatusName;
  cancel_reason: string;
  cancel_message: string;
  currency_code: string | null;
  total_minor: string | null; // pg returns bigint as text
  payment_state: PaymentStateName;
  shipment_state: ShipmentStateName;
  carrier: string;
  tracking_number: string;
  place_time: Date | null;
  list_time: Date;
  update_time: Date;
};

type LineJson = { product_id: string; product_name: string; quantity: number; currency_code: string; unit_price_minor: string };

type ReadRow = SummaryRow & { sort_key: string; lines: LineJson[] };

const summaryColumns =
  "order_id, customer_id, placed, status, cancel_reason, cancel_message, currency_code, total_minor, payment_state, shipment_state, carrier, tracking_number, place_time, list_time, update_time";

/** The summaries with their lines (product names joined from products) and their keyset sort key. */
const selectSummaries = `
  SELECT s.*,
         (extract(epoch FROM s.list_time) * 1000000)::bigint || '_' || s.order_id AS sort_key,
         coalesce((
           SELECT json_agg(json_build_object(
                    'product_id', l.product_id, 'product_name', coalesce(p.name, ''), 'quantity', l.quantity,
                    'currency_code', l.currency_code, 'unit_price_minor', l.unit_price_minor::text) ORDER BY l.line_no)
           FROM order_lines l LEFT JOIN products p ON p.product_id = l.product_id
           WHERE l.order_id = s.order_id), '[]'::json) AS lines
  FROM order_summaries s`;

/**
 * Serialises the events of one order until `tx` ends: they come on three
 * topics, handled concurrently, and the fold reads the row before it writes
 * it. A row lock is not enough (before the first event there is no row); the
 * two-key form keeps these apart from the platform's single-key locks.
 */
export async function lockOrder(tx: Transaction, orderId: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('meshmart.history.order'), hashtext($1))", [orderId]);
}

export async function readState(db: Queryable, orderId: string): Promise<SummaryState | undefined> {
  const { rows } = await db.query<SummaryRow>(`SELECT ${summaryColumns} FROM order_summaries WHERE order_id = $1`, [orderId]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    customerId: row.customer_id,
    placed: row.placed,
    status: row.status,
    cancelReason: row.cancel_reason,
    cancelMessage: row.cancel_message,
    total: row.currency_code !== null && row.total_minor !== null ? { currencyCode: row.currency_code, unitsMinor: BigInt(row.total_minor) } : null,
    paymentState: row.payment_state,
    shipmentState: row.shipment_state,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    placeTime: row.place_time,
    listTime: row.list_time,
    updateTime: row.update_time,
  };
}

export async function saveState(tx: Transaction, orderId: string, state: SummaryState): Promise<void> {
  await tx.query(
    `INSERT INTO order_summaries (${summaryColumns})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (order_id) DO UPDATE SET
       customer_id = EXCLUDED.customer_id, placed = EXCLUDED.placed, status = EXCLUDED.status,
       cancel_reason = EXCLUDED.cancel_reason, cancel_message = EXCLUDED.cancel_message,
       currency_code = EXCLUDED.currency_code, total_minor = EXCLUDED.total_minor,
       payment_state = EXCLUDED.payment_state, shipment_state = EXCLUDED.shipment_state,
       carrier = EXCLUDED.carrier, tracking_number = EXCLUDED.tracking_number,
       place_time = EXCLUDED.place_time, list_time = EXCLUDED.list_time, update_time = EXCLUDED.update_time`,
    [
      orderId,
      state.customerId,
      state.placed,
      state.status,
      state.cancelReason,
      state.cancelMessage,
      state.total?.currencyCode ?? null,
      state.total?.unitsMinor.toString() ?? null,
      state.paymentState,
      state.shipmentState,
      state.carrier,
      state.trackingNumber,
      state.placeTime,
      state.listTime,
      state.updateTime,
    ],
  );
}

/** The lines of a newly placed order (once: a second OrderPlaced finds them there). */
export async function insertLines(tx: Transaction, orderId: string, lines: LineOf[]): Promise<void> {
  if (lines.length === 0) return;
  await tx.query(
    `INSERT INTO order_lines (order_id, line_no, product_id, quantity, currency_code, unit_price_minor)
     SELECT $1, ord, product_id, quantity, currency_code, unit_price_minor
     FROM unnest($2::uuid[], $3::int[], $4::text[], $5::bigint[]) WITH ORDINALITY AS l(product_id, quantity, currency_code, unit_price_minor, ord)
     ON CONFLICT DO NOTHING`,
    [
      orderId,
      lines.map((l) => l.productId),
      lines.map((l) => l.quantity),
      lines.map((l) => l.unitPrice.currencyCode),
      lines.map((l) => l.unitPrice.unitsMinor.toString()),
    ],
  );
}

/** ProductCreated: the product's name (and sku, and price unless a later event set it). */
export async function productCreated(
  tx: Transaction,
  product: { productId: string; sku: string; name: string; price: MoneyMinor | null },
  time: Date,
): Promise<void> {
  await tx.query(
    `INSERT INTO products (product_id, name, sku, created, currency_code, price_minor, price_time)
     VALUES ($1, $2, $3, true, $4, $5, $6)
     ON CONFLICT (product_id) DO UPDATE SET
       name = CASE WHEN products.created THEN products.name ELSE EXCLUDED.name END,
       sku = CASE WHEN products.sku = '' THEN EXCLUDED.sku ELSE products.sku END,
       created = true,
       currency_code = CASE WHEN products.price_time IS NULL OR products.price_time < EXCLUDED.price_time THEN EXCLUDED.currency_code ELSE products.currency_code END,
       price_minor = CASE WHEN products.price_time IS NULL OR products.price_time < EXCLUDED.price_time THEN EXCLUDED.price_minor ELSE products.price_minor END,
       price_time = greatest(products.price_time, EXCLUDED.price_time)`,
    [product.productId, product.name, product.sku, product.price?.currencyCode ?? null, product.price?.unitsMinor.toString() ?? null, time],
  );
}

/** ProductPriceChanged: the newest price wins, whatever the order of arrival. */
export async function productPriceChanged(tx: Transaction, productId: string, price: MoneyMinor, time: Date): Promise<void> {
  await tx.query(
    `INSERT INTO products (product_id, currency_code, price_minor, price_time) VALUES ($1, $2, $3, $4)
     ON CONFLICT (product_id) DO UPDATE SET
       currency_code = EXCLUDED.currency_code, price_minor = EXCLUDED.price_minor, price_time = EXCLUDED.price_time
     WHERE products.price_time IS NULL OR products.price_time < EXCLUDED.price_time`,
    [productId, price.currencyCode, price.unitsMinor.toString(), time],
  );
}

/** ProductDeleted: marked, never removed, so that the lines keep showing its name. */
export async function productDeleted(tx: Transaction, productId: string, sku: string): Promise<void> {
  await tx.query(
    `INSERT INTO products (product_id, sku, deleted) VALUES ($1, $2, true)
     ON CONFLICT (product_id) DO UPDATE SET deleted = true, sku = CASE WHEN products.sku = '' THEN EXCLUDED.sku ELSE products.sku END`,
    [productId, sku],
  );
}

export function toSummary(row: ReadRow): OrderSummary {
  return create(OrderSummarySchema, {
    orderId: row.order_id,
    customerId: row.customer_id ?? "",
    status: OrderStatus[row.status],
    cancelReason: CancelReason[row.cancel_reason as keyof typeof CancelReason] ?? CancelReason.UNSPECIFIED,
    cancelMessage: row.cancel_message,
    ...(row.currency_code !== null && row.total_minor !== null
      ? { total: { currencyCode: row.currency_code, unitsMinor: BigInt(row.total_minor) } }
      : {}),
    lines: row.lines.map((line) => ({
      productId: line.product_id,
      productName: line.product_name,
      quantity: line.quantity,
      unitPrice: { currencyCode: line.currency_code, unitsMinor: BigInt(line.unit_price_minor) },
    })),
    paymentState: PaymentState[row.payment_state],
    shipmentState: ShipmentState[row.shipment_state],
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    ...(row.place_time ? { placeTime: timestampFromDate(row.place_time) } : {}),
    updateTime: timestampFromDate(row.update_time),
  });
}

export async function getSummary(db: Queryable, orderId: string): Promise<OrderSummary | undefined> {
  const { rows } = await db.query<ReadRow>(`${selectSummaries} WHERE s.order_id = $1`, [orderId]);
  return rows[0] && toSummary(rows[0]);
}

export interface SummaryFilter {
  /** Only this customer's placed orders; absent: every row (the audit listing). */
  customerId?: string;
  status?: StatusName;
}

/**
 * Newest first, keyset-paged on (list_time, order_id). `after` and the
 * returned `next` are a page's last row's sort key: its list time in
 * microseconds since 1970, "_", its id.
 */
export async function listSummaries(
  db: Queryable,
  filter: SummaryFilter,
  limit: number,
  after?: string,
): Promise<{ summaries: OrderSummary[]; next?: string }> {
  const conditions = new SqlConditions();
  if (filter.customerId) conditions.add("s.customer_id = ? AND s.placed", filter.customerId);
  if (filter.status) conditions.add("s.status = ?", filter.status);
  if (after) {
    const [micros, id] = after.split("_") as [string, string];
    conditions.add("(s.list_time, s.order_id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?::uuid)", micros, id);
  }
  const { rows } = await db.query<ReadRow>(
    `${selectSummaries} ${conditions.where} ORDER BY s.list_time DESC, s.order_id DESC LIMIT ${conditions.param(limit + 1)}`,
    conditions.values,
  );
  const { page, more } = keysetPage(rows, limit);
  return { summaries: page.map(toSummary), next: more ? page.at(-1)?.sort_key : undefined };
}

export async function countSummaries(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM order_summaries");
  return Number(rows[0]!.n);
}

/** Empties the projection and the consumer's inbox: what a rebuild starts from. */
export async function truncateProjection(tx: Transaction, consumer: string): Promise<void> {
  await tx.query("TRUNCATE order_lines, order_summaries, products");
  await tx.query("DELETE FROM inbox WHERE consumer = $1", [consumer]);
}
