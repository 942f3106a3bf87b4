// notifications: one notification per order outcome, served as meshmart.notifications.v1.NotificationService.
import { runService } from "@meshmart/platform";
import { notificationsService } from "./index.ts";

await runService(notificationsService);
