// The whole picture, end to end: every service as a process exporting its
// spans to a real Jaeger (OTLP/HTTP) and scraped by a real Prometheus with the
// platform's rules. One order placed through the gateway is one trace in
// Jaeger, found by its order id as the README says: spans of the gateway,
// catalog, orders, inventory, payments, shipping and notifications, the Kafka consumer
// spans among them, each child after its parent, the order id on the saga's
// steps. Then, after a demo load, every panel of every generated dashboard
// runs its PromQL against that Prometheus: none may fail or come back empty.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { dashboards, panelQueries } from "@meshmart/observability/dashboards";
import { rulesFilePath } from "@meshmart/observability/generated-files";
import { startJaeger, type JaegerHandle } from "@meshmart/infra/jaeger";
import { startPrometheus, type PrometheusHandle } from "@meshmart/infra/prometheus";
import { freePorts } from "@meshmart/infra/processes";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import { serviceNames } from "@meshmart/topology";
import { GatewayShopper } from "./gateway-shopper.ts";
import type { AcceptedOrder } from "./invariants.ts";
import { ancestry, readTrace, traceIdsOfOrder, type TraceSpan } from "@meshmart/observability/jaeger-traces";
import { startTestStack, type TestStack } from "./test-stack.ts";

const portRange = { from: Number(process.env.MESHMART_OBSERVABILITY_PORTS ?? 27200), span: 100 };

describe("observability end to end: one order is one trace in Jaeger; every dashboard query answers", { timeout: 10 * 60_000 }, () => {
  let jaeger: JaegerHandle;
  let prometheus: PrometheusHandle;
  let stack: TestStack;
  const log = (line: string) => console.log(`[observability] ${line}`);

  before(async () => {
    const [query, queryGrpc, otlpGrpc, otlpHttp, health, prom] = await freePorts(6, portRange.from, portRange.from + portRange.span);
    jaeger = await startJaeger({ profile: "observability-test", ports: { query: query!, queryGrpc: queryGrpc!, otlpGrpc: otlpGrpc!, otlpHttp: otlpHttp!, health: health! }, log });
    stack = await startTestStack({
      brokers: testKafkaBrokers(),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpEndpoint },
      serviceEnv: { payments: { PAYMENT_DECLINE_RATE: "0.3" } },
    });
    prometheus = await startPrometheus({
      profile: "observability-test",
      port: prom!,
      targets: serviceNames.map((name) => ({ service: name, address: new URL(stack.processes.urls[name]).host })),
      ruleFiles: [rulesFilePath],
      scrapeIntervalSeconds: 1,
      log,
    });
  });
  after(async () => {
    await stack?.stop();
    await Promise.allSettled([jaeger?.stop(), prometheus?.stop()]);
  });

  it("places one order through the gateway and finds one trace of it in Jaeger: all seven services, the consumer spans, causal order, the order id", async () => {
    const customerId = randomUUID();
    const shopper = new GatewayShopper(stack.processes.urls.gateway, await devTokenFor(customerId));
    const products = await shopper.listProductIds();
    // A product with plenty of stock, one unit: the saga reaches payments (captured or declined) and notifications.
    const product = products.find((p) => p.sku !== "MONITOR-27" && p.sku !== "CHAIR-ERGO")!;
    const placed = await shopper.placeOrder([{ productId: product.id, quantity: 1 }]);
    assert.equal(placed.status, 201, JSON.stringify(placed.problem));
    const orderId = placed.orderId!;
    log(`order ${orderId}`);

    // As the README says: the traces where the gateway has a span tagged with the order id.
    const traceIds = await eventually(async () => {
      const ids = await traceIdsOfOrder(jaeger.url, "gateway", orderId);
      return ids.length > 0 ? ids : undefined;
    }, { what: "the order's trace in Jaeger", timeoutMs: 60_000, intervalMs: 500 });
    assert.equal(traceIds.length, 1, `one trace holds the order: ${traceIds.join(", ")}`);
    const traceId = traceIds[0]!;

    const expected = ["gateway", "catalog", "orders", "inventory", "payments", "shipping", "notifications"];
    const spans = await eventually(async () => {
      const all = await readTrace(jaeger.url, traceId);
      const services = new Set(all.map((s) => s.service));
      const notified = all.some((s) => s.service === "notifications" && s.tag["span.kind"] === "consumer");
      const ended = all.some((s) => s.service === "orders" && /^saga Stock(Committed|Released)$/.test(s.operationName));
      // Spans leave each process in batches: wait until every parent has arrived too.
      const ids = new Set(all.map((s) => s.spanID));
      const whole = all.every((s) => !s.parentId || ids.has(s.parentId));
      return expected.every((name) => services.has(name)) && notified && ended && whole ? all : undefined;
    }, { what: `spans of ${expected.join(", ")} in trace ${traceId}`, timeoutMs: 90_000, intervalMs: 1_000 });
    log(`trace ${traceId}: ${spans.length} spans from ${[...new Set(spans.map((s) => s.service))].join(", ")}`);

    // Causal order: one root (the gateway's POST), every other span's parent is in the trace and started before it.
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    const roots = spans.filter((s) => !s.parentId);
    assert.deepEqual(roots.map((s) => `${s.service} ${s.operationName}`), ["gateway POST /api/v1/orders"], "the gateway's request is the one root");
    for (const span of spans) {
      if (!span.parentId) continue;
      const parent = byId.get(span.parentId);
      assert.ok(parent, `${span.service} ${span.operationName}: its parent ${span.parentId} is in the trace`);
      assert.ok(span.startTime >= parent.startTime, `${span.service} ${span.operationName} starts after its parent ${parent.service} ${parent.operationName}`);
    }

    // Through Kafka: a consumer span in every consuming service, each a child of a relay's publish span in another service.
    const consumers = spans.filter((s) => s.tag["span.kind"] === "consumer");
    for (const name of ["inventory", "payments", "shipping", "notifications", "orders"]) {
      const mine = consumers.filter((s) => s.service === name);
      assert.ok(mine.length > 0, `${name} has consumer spans`);
      for (const span of mine) {
        const parent = byId.get(span.parentId ?? "")!;
        assert.equal(parent.tag["span.kind"], "producer", `${name} ${span.operationName} follows a publish span`);
        assert.equal(span.tag["messaging.system"], "kafka");
        assert.equal(span.tag["meshmart.order_id"], orderId, `${name} ${span.operationName} carries the order id`);
      }
    }

    // PostgreSQL and the outbox: PlaceOrder's transaction and its statements (parameterised SQL, no values),
    // OrderPlaced written to the outbox inside it, and the relay's publish of that row a child of the write.
    const placeOrder = spans.find((s) => s.service === "orders" && s.operationName === "meshmart.orders.v1.OrderService/PlaceOrder");
    assert.ok(placeOrder, "orders served PlaceOrder");
    const beneath = (s: TraceSpan) => ancestry(spans, s).slice(1).includes(placeOrder);
    const ordersDb = spans.filter((s) => s.service === "orders" && s.tag["db.system.name"] === "postgresql" && beneath(s));
    assert.ok(ordersDb.some((s) => s.operationName === "transaction"), `a transaction span under PlaceOrder: ${ordersDb.map((s) => s.operationName).join(", ")}`);
    const insert = ordersDb.find((s) => s.operationName === "INSERT orders");
    assert.ok(insert, `the order's INSERT under PlaceOrder: ${ordersDb.map((s) => s.operationName).join(", ")}`);
    assert.match(String(insert.tag["db.query.text"]), /\$1/, "the statement's text is parameterised");
    assert.ok(!String(insert.tag["db.query.text"]).includes(orderId), "no parameter value in the span");
    const write = spans.find((s) => s.service === "orders" && s.operationName === "outbox write meshmart.orders.v1.OrderPlaced");
    assert.ok(write && beneath(write), "OrderPlaced written to the outbox inside PlaceOrder");
    const published = spans.filter((s) => s.parentId === write.spanID && s.operationName === "publish meshmart.orders.v1.OrderPlaced");
    assert.equal(published.length, 1, "the relay published that row in a child span of the write");

    // The saga in order: PlaceOrder (orders) -> inventory reserves -> orders requests payment -> payments -> orders -> notifications.
    const chainOf = (predicate: (s: TraceSpan) => boolean) => {
      const span = spans.find(predicate);
      assert.ok(span, "span present");
      return ancestry(spans, span).map((s) => `${s.service}:${s.operationName}`);
    };
    const notification = chainOf((s) => s.service === "notifications" && s.tag["span.kind"] === "consumer").reverse();
    const at = (pattern: RegExp) => notification.findIndex((step) => pattern.test(step));
    const steps = [
      /^gateway:POST \/api\/v1\/orders$/,
      /^orders:meshmart\.orders\.v1\.OrderService\/PlaceOrder$/,
      /^inventory:process meshmart\.orders\.v1\.OrderPlaced$/,
      /^orders:process meshmart\.inventory\.v1\.StockReserved$/,
      /^payments:process meshmart\.orders\.v1\.PaymentRequested$/,
      /^orders:process meshmart\.payments\.v1\.Payment(Captured|Declined)$/,
      /^notifications:process meshmart\.orders\.v1\.Order(Confirmed|Cancelled)$/,
    ];
    const positions = steps.map(at);
    assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)), `the notification descends from each saga step in order:\n${notification.join("\n")}`);
    assert.ok(chainOf((s) => s.service === "catalog").some((step) => step.startsWith("orders:")), "catalog priced the order for orders");

    const sagaSteps = spans.filter((s) => s.operationName.startsWith("saga "));
    assert.ok(sagaSteps.length >= 4, `saga steps as spans: ${sagaSteps.map((s) => s.operationName).join(", ")}`);
    for (const step of sagaSteps) assert.equal(step.tag["meshmart.order_id"], orderId, `${step.operationName} carries the order id`);
  });

  it("after a demo load, every panel query of every dashboard returns series from Prometheus", async () => {
    const customers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const customerId = randomUUID();
        return { customerId, shopper: new GatewayShopper(stack.processes.urls.gateway, await devTokenFor(customerId)) };
      }),
    );
    const products = await customers[0]!.shopper.listProductIds();
    const scarce = products.find((p) => p.sku === "CHAIR-ERGO")!;
    const accepted: AcceptedOrder[] = [];
    for (let i = 0; i < 30; i++) {
      const { customerId, shopper } = customers[i % customers.length]!;
      // Every fifth asks for more chairs than there are: out of stock; payments declines 30 % of the rest.
      const items = i % 5 === 0 ? [{ productId: scarce.id, quantity: 5 }] : [{ productId: products[i % products.length]!.id, quantity: 1 }];
      const key = randomUUID();
      const placed = await shopper.placeOrder(items, key);
      assert.equal(placed.status, 201, JSON.stringify(placed.problem));
      accepted.push({ orderId: placed.orderId!, customerId, idempotencyKey: key });
    }
    const report: string[] = [];
    const verdict = await stack.verify(accepted, (line) => report.push(line));
    assert.ok(verdict.pass, report.join("\n"));

    const query = async (expr: string) => {
      const res = await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
      return { ok: res.ok && body.status === "success", error: body.error, series: body.data?.result.length ?? 0 };
    };
    // Wait for a few scrapes and rule evaluations past the load (and past verify, whose audit calls reach every service).
    await eventually(async () => ((await query("sum by (app) (rate(http_server_requests_total[1m]))")).series === serviceNames.length && (await query("meshmart:saga_success:ratio_rate30m")).series > 0 ? true : undefined), {
      what: "Prometheus to have scraped the load and evaluated the rules",
      timeoutMs: 60_000,
      intervalMs: 1_000,
    });

    const failures: string[] = [];
    let count = 0;
    for (const { file, dashboard } of dashboards()) {
      for (const { panel, expr } of panelQueries(dashboard)) {
        count++;
        const result = await query(expr);
        if (!result.ok) failures.push(`${file} "${panel}": error ${result.error}: ${expr}`);
        else if (result.series === 0) failures.push(`${file} "${panel}": no series: ${expr}`);
      }
    }
    log(`${count} panel queries run against Prometheus`);
    assert.ok(count > 40, `the dashboards hold their panels (${count} queries)`);
    assert.deepEqual(failures, [], `queries that failed or returned nothing:\n${failures.join("\n")}`);
  });
});
