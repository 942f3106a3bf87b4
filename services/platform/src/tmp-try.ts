import { CatalogService } from "@meshmart/proto/catalog/v1/catalog_pb";
import { startService } from "./service.ts";
const s = await startService({ name: "catalog", rpc: (router) => router.service(CatalogService, { async listProducts() { return { products: [] }; } }) }, { env: { PORT: "27300", HOST: "127.0.0.1", LOG_LEVEL: "warn" } });
console.log("up", s.port);
process.on("SIGTERM", () => void s.stop().then(() => process.exit(0)));
