// `make demo`: places a batch of orders through the gateway — some for more
// units than stock holds, payments declines a share of the rest and the
// carrier refuses a share of the shipments — waits for rest, prints the
// outcome counts (with the refunds of the orders shipping failed), and runs
// the invariant checker over everything placed so far. Against `make dev` by default; with --context
// <ctx>, against the platform deployed there (reached by port-forwards).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { serviceNames } from "@meshmart/topology";
import { CancelReason, OrderStatus } from "@meshmart/proto/orders/v1/orders_pb";
import { PaymentStatus } from "@meshmart/proto/payments/v1/payments_pb";
import { ShipmentStatus } from "@meshmart/proto/shipping/v1/shipping_pb";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { connectToCluster, parsePortOffset } from "./cluster/cluster-connection.ts";
import { GatewayShopper } from "./gateway-shopper.ts";
import type { AcceptedOrder } from "./invariants.ts";
import { readSnapshot } from "./snapshot.ts";
import { createSystemClients, localUrl } from "./system-clients.ts";
import { historyFileFor, readHistory, verify } from "./verify.ts";
import { exitFlushed } from "./exit-flushed.ts";

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "60" },
    concurrency: { type: "string", default: "6" },
    context: { type: "string" },
    namespace: { type: "string", default: "meshmart" },
    "port-offset": { type: "string" },
  },
});
const total = Number(values.orders);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(total) || total < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error("demo: --orders and --concurrency must be whole numbers >= 1");
  process.exit(2);
}
const portOffset = (() => {
  try {
    return parsePortOffset(values["port-offset"]);
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    process.exit(2);
  }
})();
const historyFile = historyFileFor(values.context);
const cluster = values.context
  ? await connectToCluster({ context: values.context, namespace: values.namespace, portOffset, log: (line) => console.log(`  ${line}`) }).catch((err: Error) => {
      console.error(`demo: cannot reach the platform on context ${values.context}: ${err.message}`);
      process.exit(2);
    })
  : undefined;
const gateway = cluster?.urls.gateway ?? localUrl("gateway");
const tokenFor = (customerId: string) => (cluster ? cluster.token(customerId) : devTokenFor(customerId));

const customers = await Promise.all(
  Array.from({ length: 5 }, async () => {
    const customerId = randomUUID();
    return { customerId, shopper: new GatewayShopper(gateway, await tokenFor(customerId)) };
  }),
);
const products = await customers[0]!.shopper.listProductIds().catch((err: Error) => {
  console.error(`demo: cannot reach the gateway at ${gateway} (${err.message}). ${cluster ? "Is the platform deployed there?" : "Is `make dev` running?"}`);
  process.exit(2);
});
const scarce = products.find((p) => p.sku === "CHAIR-ERGO") ?? products[0]!;

console.log(`placing ${total} orders through ${gateway} (${concurrency} at a time)...`);
const accepted: AcceptedOrder[] = [];
const refused: string[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const { customerId, shopper } = customers[i % customers.length]!;
      // Every 8th order asks for more of a scarce product than there is: inventory rejects it.
      const items =
        i % 8 === 0
          ? [{ productId: scarce.id, quantity: 50 }]
          : [...products].sort(() => Math.random() - 0.5).slice(0, 1 + (i % 3)).map((p) => ({ productId: p.id, quantity: 1 }));
      const key = randomUUID();
      const placed = await shopper.placeOrderRetrying(items, key); // a 503 from admission control is retried after its Retry-After
      if (placed.orderId) accepted.push({ orderId: placed.orderId, customerId, idempotencyKey: key });
      else refused.push(`${placed.status} ${placed.problem?.title ?? ""}: ${placed.problem?.detail ?? ""}`);
      if ((i + 1) % 20 === 0) console.log(`  ${i + 1}/${total} placed`);
    }
  }),
);
console.log(`accepted ${accepted.length}, refused ${refused.length}${refused.length ? `: ${refused.slice(0, 3).join("; ")}` : ""}`);

const history = [...(await readHistory(historyFile)), ...accepted];
await mkdir(path.dirname(historyFile), { recursive: true });
await writeFile(historyFile, JSON.stringify({ accepted: history }, null, 1));

const log = (line: string) => console.log(line);
const verdict = cluster
  ? await cluster.verify(history)
  : await verify({ brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","), topicPrefix: process.env.KAFKA_TOPIC_PREFIX, accepted: history, log });

const clients = createSystemClients(cluster ? Object.fromEntries(serviceNames.map((n) => [`${n.toUpperCase()}_URL`, cluster.urls[n]])) : process.env);
const mine = new Set(accepted.map((a) => a.orderId));
const outcomes = new Map<string, number>();
const snapshot = await readSnapshot(clients);
const shippingFailed: string[] = [];
for (const { order } of snapshot.orders) {
  if (!order || !mine.has(order.id)) continue;
  const label = order.status === OrderStatus.CANCELLED ? `CANCELLED (${CancelReason[order.cancelReason]})` : OrderStatus[order.status];
  outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
  if (order.cancelReason === CancelReason.SHIPMENT_FAILED) shippingFailed.push(order.id);
}
await cluster?.close();
console.log("\noutcomes of this batch:");
for (const [label, n] of [...outcomes].sort()) console.log(`  ${label.padEnd(32)} ${n}`);
if (shippingFailed.length > 0) {
  // The third step's compensation: a shipment the carrier refused cancels an order that was already paid.
  const payments = new Map(snapshot.payments.map((p) => [p.orderId, p]));
  const shipments = new Map(snapshot.shipments.map((s) => [s.orderId, s]));
  console.log(`\nshipping failed for ${shippingFailed.length} paid orders; what became of their payments:`);
  for (const orderId of shippingFailed.slice(0, 5)) {
    const payment = payments.get(orderId);
    const shipment = shipments.get(orderId);
    const refunded = payment?.refundedAmount?.unitsMinor ?? 0n;
    console.log(
      `  ${orderId}  shipment ${ShipmentStatus[shipment?.status ?? 0]} (${shipment?.failureMessage ?? "none"}), ` +
        `payment ${PaymentStatus[payment?.status ?? 0]}: captured ${payment?.capturedAmount?.unitsMinor ?? 0n}, refunded ${refunded} ${payment?.amount?.currencyCode ?? ""} minor units`,
    );
  }
  const refundedAll = shippingFailed.filter((id) => payments.get(id)?.status === PaymentStatus.REFUNDED).length;
  console.log(`  ${refundedAll} of ${shippingFailed.length} refunded in full${shippingFailed.length > 5 ? " (first 5 shown)" : ""}`);
}
console.log(verdict.pass ? "\ndemo: every invariant holds." : "\ndemo: invariants FAILED (see above).");
await exitFlushed(verdict.pass ? 0 : 1);
