// catalog: the product catalog, served as meshmart.catalog.v1.CatalogService.
import { runService } from "@meshmart/platform";
import { catalogService } from "./index.ts";

await runService(catalogService);
