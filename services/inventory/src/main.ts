// inventory: stock and reservations, served as meshmart.inventory.v1.InventoryService.
import { runService } from "@meshmart/platform";
import { inventoryService } from "./index.ts";

await runService(inventoryService);
