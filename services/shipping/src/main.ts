// shipping: one shipment per order, booked with the carrier, served as meshmart.shipping.v1.ShippingService.
import { runService } from "@meshmart/platform";
import { shippingService } from "./index.ts";

await runService(shippingService);
