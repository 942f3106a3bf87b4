// payments: authorize-and-capture per order and refunds, served as meshmart.payments.v1.PaymentService.
import { runService } from "@meshmart/platform";
import { paymentsService } from "./index.ts";

await runService(paymentsService);
