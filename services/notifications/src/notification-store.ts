// SQL for notifications. Rows map to the proto Notification; `seq` (creation
// order) is the keyset for paging and never leaves the service except inside
// an opaque page token.
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { NotificationKind, NotificationSchema, type Notification } from "@meshmart/proto/notifications/v1/notifications_pb";
import { keysetPage, SqlConditions, type Queryable } from "@meshmart/platform";

type KindName = "ORDER_CONFIRMED" | "ORDER_CANCELLED";

type NotificationRow = {
  id: string;
  seq: string; // pg returns bigint as text
  customer_id: string;
  order_id: string;
  kind: KindName;
  subject: string;
  body: string;
  created_at: Date;
};

export interface NewNotification {
  customerId: string;
  orderId: string;
  kind: NotificationKind.ORDER_CONFIRMED | NotificationKind.ORDER_CANCELLED;
  subject: string;
  body: string;
  eventId: string;
}

export interface NotificationFilter {
  customerId?: string;
  orderId?: string;
}

const columns = "id, seq, customer_id, order_id, kind, subject, body, created_at";

export function toNotification(row: NotificationRow): Notification {
  return create(NotificationSchema, {
    id: row.id,
    customerId: row.customer_id,
    orderId: row.order_id,
    kind: NotificationKind[row.kind],
    subject: row.subject,
    body: row.body,
    createTime: timestampFromDate(row.created_at),
  });
}

/** Records the notification unless the order already has one of this kind; true if it was new. */
export async function insertNotification(db: Queryable, notification: NewNotification): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO notifications (id, customer_id, order_id, kind, subject, body, event_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id, kind) DO NOTHING`,
    [
      randomUUID(),
      notification.customerId,
      notification.orderId,
      NotificationKind[notification.kind],
      notification.subject,
      notification.body,
      notification.eventId,
    ],
  );
  return rowCount === 1;
}

/**
 * One page in creation order, after the row with seq `afterSeq`. `next` is the
 * seq to continue after, set when more rows follow.
 */
export async function listNotifications(
  db: Queryable,
  filter: NotificationFilter,
  limit: number,
  afterSeq?: string,
): Promise<{ notifications: Notification[]; next?: string }> {
  const conditions = new SqlConditions();
  if (filter.customerId) conditions.add("customer_id = ?", filter.customerId);
  if (filter.orderId) conditions.add("order_id = ?", filter.orderId);
  if (afterSeq) conditions.add("seq > ?", afterSeq);
  const { rows } = await db.query<NotificationRow>(
    `SELECT ${columns} FROM notifications ${conditions.where} ORDER BY seq LIMIT ${conditions.param(limit + 1)}`,
    conditions.values,
  );
  const { page, more } = keysetPage(rows, limit);
  return { notifications: page.map(toNotification), next: more ? page.at(-1)?.seq : undefined };
}
