// NotificationService handlers: the one read, paged in creation order. With
// no filter it lists everything, which is what the invariant checker needs.
import type { ServiceImpl } from "@connectrpc/connect";
import { NotificationService } from "@meshmart/proto/notifications/v1/notifications_pb";
import { decodePageToken, encodePageToken, invalidArgument, pageSize, type Database } from "@meshmart/platform";
import * as store from "./notification-store.ts";

export function createNotificationService(db: Database): ServiceImpl<typeof NotificationService> {
  return {
    async listNotifications(req) {
      const filter: store.NotificationFilter = { customerId: req.customerId || undefined, orderId: req.orderId || undefined };
      const after = decodePageToken(req.pageToken, filter);
      if (after !== undefined && !/^\d{1,19}$/.test(after)) throw invalidArgument("page_token", "is not a page token this service issued");
      const { notifications, next } = await store.listNotifications(db, filter, pageSize(req.pageSize, 100), after);
      return { notifications, nextPageToken: next ? encodePageToken(next, filter) : "" };
    },
  };
}
