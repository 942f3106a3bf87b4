// SQL for payments and cancelled orders. Rows map to the proto Payment; money
// stays in integer minor units end to end (bigint in Postgres and TypeScript).
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DeclineReason, PaymentSchema, PaymentStatus, type Payment } from "@meshmart/proto/payments/v1/payments_pb";
import { keysetPage, SqlConditions, type Queryable, type Transaction } from "@meshmart/platform";

type StatusName = "AUTHORIZED" | "CAPTURED" | "DECLINED" | "REFUNDED";

type PaymentRow = {
  id: string;
  order_id: string;
  customer_id: string;
  currency_code: string;
  amount_minor: string; // pg returns bigint as text
  captured_minor: string;
  refunded_minor: string;
  status: StatusName;
  decline_reason: string | null;
  decline_message: string;
  created_at: Date;
  updated_at: Date;
};

export type NewPayment = {
  orderId: string;
  customerId: string;
  currencyCode: string;
  amountMinor: bigint;
} & (
  | { status: PaymentStatus.CAPTURED; providerReference: string }
  | { status: PaymentStatus.DECLINED; declineReason: DeclineReason; declineMessage: string }
);

const columns =
  "id, order_id, customer_id, currency_code, amount_minor, captured_minor, refunded_minor, status, decline_reason, decline_message, created_at, updated_at";

export function toPayment(row: PaymentRow): Payment {
  const money = (unitsMinor: string) => ({ currencyCode: row.currency_code, unitsMinor: BigInt(unitsMinor) });
  return create(PaymentSchema, {
    id: row.id,
    orderId: row.order_id,
    customerId: row.customer_id,
    status: PaymentStatus[row.status],
    amount: money(row.amount_minor),
    capturedAmount: money(row.captured_minor),
    refundedAmount: money(row.refunded_minor),
    declineReason: row.decline_reason ? DeclineReason[row.decline_reason as keyof typeof DeclineReason] : DeclineReason.UNSPECIFIED,
    declineMessage: row.decline_message,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}

/**
 * Serialises everything done for one order (capture, cancel, refund) until
 * `tx` ends. A row lock is not enough: before the first event there is no row
 * to lock, and a cancel racing a capture must see it or be seen by it. */
export function lockOrder(tx: Transaction, orderId: string): Promise<void> {
  return tx.lockKey("meshmart.payments.order", orderId);
}

export async function getPayment(db: Queryable, orderId: string): Promise<Payment | undefined> {
  const { rows } = await db.query<PaymentRow>(`SELECT ${columns} FROM payments WHERE order_id = $1`, [orderId]);
  return rows[0] && toPayment(rows[0]);
}

/** Inserts the order's one payment; a second insert for the order violates payments_order_id_key. */
export async function insertPayment(db: Queryable, payment: NewPayment): Promise<Payment> {
  const captured = payment.status === PaymentStatus.CAPTURED;
  const { rows } = await db.query<PaymentRow>(
    `INSERT INTO payments (id, order_id, customer_id, currency_code, amount_minor, captured_minor, status,
                           decline_reason, decline_message, provider_reference)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${columns}`,
    [
      randomUUID(),
      payment.orderId,
      payment.customerId,
      payment.currencyCode,
      payment.amountMinor.toString(),
      captured ? payment.amountMinor.toString() : "0",
      PaymentStatus[payment.status],
      captured ? null : DeclineReason[payment.declineReason],
      captured ? "" : payment.declineMessage,
      captured ? payment.providerReference : null,
    ],
  );
  return toPayment(rows[0]!);
}

/** The provider reference of the order's capture, needed to refund it. */
export async function providerReference(db: Queryable, orderId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ provider_reference: string | null }>(
    "SELECT provider_reference FROM payments WHERE order_id = $1",
    [orderId],
  );
  return rows[0]?.provider_reference ?? undefined;
}

/** Records a full refund of what was captured. */
export async function markRefunded(db: Queryable, orderId: string, refundReference: string, reason: string): Promise<Payment> {
  const { rows } = await db.query<PaymentRow>(
    `UPDATE payments
     SET refunded_minor = captured_minor, status = 'REFUNDED', refund_reference = $2, refund_reason = $3, updated_at = now()
     WHERE order_id = $1 RETURNING ${columns}`,
    [orderId, refundReference, reason],
  );
  return toPayment(rows[0]!);
}

/** One page in order id order, after `afterOrderId`; fetches one extra row to know whether more follow. */
export async function listPayments(
  db: Queryable,
  filter: { status?: PaymentStatus },
  limit: number,
  afterOrderId?: string,
): Promise<{ payments: Payment[]; more: boolean }> {
  const conditions = new SqlConditions();
  if (filter.status) conditions.add("status = ?", PaymentStatus[filter.status]);
  if (afterOrderId) conditions.add("order_id > ?", afterOrderId);
  const { rows } = await db.query<PaymentRow>(
    `SELECT ${columns} FROM payments ${conditions.where} ORDER BY order_id LIMIT ${conditions.param(limit + 1)}`,
    conditions.values,
  );
  const { page, more } = keysetPage(rows, limit);
  return { payments: page.map(toPayment), more };
}
