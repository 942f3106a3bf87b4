// `make trace-saga`: places one order through the gateway (or takes --order),
// waits for its saga, and prints it hop by hop from the services' databases
// (outbox written, published, inbox received). Against make dev by default.
//
//   make trace-saga
//   make trace-saga ARGS="--gateway http://127.0.0.1:27100 --database-url postgres://postgres:postgres@127.0.0.1:25733/postgres"
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { GatewayShopper } from "@meshmart/e2e/gateway-shopper";
import { orderableProducts } from "@meshmart/e2e/load/order-load";
import { formatTrace, traceSaga } from "@meshmart/e2e/load/saga-trace";
import { localUrl } from "@meshmart/e2e/system-clients";

const { values } = parseArgs({
  options: {
    gateway: { type: "string" },
    "database-url": { type: "string", default: process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:15432/postgres" },
    order: { type: "string" },
    count: { type: "string", default: "1" },
  },
});
const gateway = values.gateway ?? localUrl("gateway");
const urlFor = (name: string) => {
  const url = new URL(values["database-url"]);
  url.pathname = `/${name}`;
  return url.toString();
};

const ids: string[] = [];
if (values.order) ids.push(values.order);
else {
  const products = await orderableProducts(gateway);
  const shopper = new GatewayShopper(gateway, await devTokenFor(crypto.randomUUID()));
  for (let i = 0; i < Number(values.count); i++) {
    const placed = await shopper.placeOrder([{ productId: products[i % products.length]!, quantity: 1 }]);
    if (!placed.orderId) throw new Error(`PlaceOrder answered ${placed.status}: ${JSON.stringify(placed.problem)}`);
    ids.push(placed.orderId);
    await sleep(500);
  }
  await sleep(3_000);
}
for (const id of ids) console.log(formatTrace(await traceSaga(id, urlFor)));
