// orders: orders and the order saga, served as meshmart.orders.v1.OrderService.
import { runService } from "@meshmart/platform";
import { ordersService } from "./index.ts";

await runService(ordersService);
