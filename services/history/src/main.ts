// history: the order-history read model, folded from events, served as meshmart.history.v1.OrderHistoryService.
import { runService } from "@meshmart/platform";
import { historyService } from "./index.ts";

await runService(historyService);
