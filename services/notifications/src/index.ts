// The notifications service definition: what main.ts runs and what tests start in-process.
import type { ServiceDefinition } from "@meshmart/platform";
import { NotificationService } from "@meshmart/proto/notifications/v1/notifications_pb";
import { registerNotificationEvents } from "./notification-events.ts";
import { createNotificationService } from "./notification-service.ts";

export const notificationsService: ServiceDefinition = {
  name: "notifications",
  migrations: new URL("../migrations", import.meta.url),
  rpc: (router, { db }) => router.service(NotificationService, createNotificationService(db)),
  events: (consumer) => registerNotificationEvents(consumer),
};
