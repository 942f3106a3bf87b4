// NotificationService handlers: the one read, paged in creation order. With
// no filter it lists everything, which is what the invariant checker needs.
import type { ServiceImpl } from "@connectrpc/connect";
import { NotificationService } from "@meshmart/proto/notifications/v1/notifications_pb";
import { decodePageToken, pageSize, pageTokenPatterns, type Database } from "@meshmart/platform";
import * as store from "./notification-store.ts";

export function createNotificationService(db: Database): ServiceImpl<typeof NotificationService> {
  return {
    async listNotifications(req) {
      const filter: store.NotificationFilter = { customerId: req.customerId || undefined, orderId: req.orderId || undefined };
      const after = decodePageToken(req.pageToken, pageTokenPatterns.sequence);
      const { notifications, next } = await store.listNotifications(db, filter, pageSize(req.pageSize, 100), after);
      return { notifications, nextPageToken: next ?? "" };
    },
  };
}
