// gateway: the public REST/JSON API under /api/v1 (see openapi.ts).
import { runService } from "@meshmart/platform";
import { gatewayService } from "./index.ts";

await runService(gatewayService);
