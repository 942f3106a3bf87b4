// Grafana dashboards as code (@grafana/grafana-foundation-sdk): an overview
// of the platform (RED per service, saga outcomes and latency, outbox
// backlog, consumer lag, dead letters) and one dashboard per service of the
// topology table (its routes, the RPCs it makes, its outbox and consumers,
// its process). Every query reads series the services export, by `app`;
// Prometheus is picked with the `datasource` variable.
import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder, type Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { serviceNames, services, type ServiceName } from "@meshmart/topology";
import { recorded } from "./prometheus-rules.ts";
import { slos } from "./slos.ts";

const datasource = { type: "prometheus", uid: "${datasource}" };

interface PanelSpec {
  title: string;
  unit: string;
  /** PromQL, with Grafana's $__rate_interval where a rate needs a window. */
  queries: Array<{ expr: string; legend: string }>;
  kind?: "timeseries" | "stat";
  description?: string;
}

function panel(spec: PanelSpec, width = 12) {
  const builder = spec.kind === "stat" ? new StatBuilder() : new TimeseriesBuilder();
  builder.title(spec.title).unit(spec.unit).datasource(datasource).gridPos({ h: 8, w: width, x: 0, y: 0 });
  if (spec.description) builder.description(spec.description);
  spec.queries.forEach((q, i) => {
    builder.withTarget(new DataqueryBuilder().expr(q.expr).legendFormat(q.legend).refId(String.fromCharCode(65 + i)).datasource(datasource));
  });
  return builder;
}

function dashboard(uid: string, title: string, rows: Array<{ title: string; panels: PanelSpec[] }>): Dashboard {
  const builder = new DashboardBuilder(title)
    .uid(uid)
    .tags(["meshmart", "generated"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .editable()
    .withVariable(new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus"));
  for (const row of rows) {
    builder.withRow(new RowBuilder(row.title));
    for (const spec of row.panels) builder.withPanel(panel(spec, row.panels.length === 1 ? 24 : 12));
  }
  return builder.build();
}

const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;

function overview(): Dashboard {
  return dashboard("meshmart-overview", "meshmart / overview", [
    {
      title: "Requests (RED per service)",
      panels: [
        { title: "Request rate", unit: "reqps", queries: [{ expr: `sum by (app) (${rate("http_server_requests_total")})`, legend: "{{app}}" }] },
        {
          title: "5xx ratio",
          unit: "percentunit",
          description: `Objective: at most ${((1 - slos.availability) * 100).toFixed(1)} % per service.`,
          queries: [
            {
              expr: `(sum by (app) (${rate('http_server_requests_total{status=~"5.."}')}) or sum by (app) (${rate("http_server_requests_total")}) * 0) / sum by (app) (${rate("http_server_requests_total")})`,
              legend: "{{app}}",
            },
          ],
        },
        {
          title: "Latency p99",
          unit: "s",
          queries: [{ expr: `histogram_quantile(0.99, sum by (app, le) (${rate("http_server_duration_seconds_bucket")}))`, legend: "{{app}}" }],
        },
        { title: "Requests in flight", unit: "short", queries: [{ expr: "sum by (app) (http_server_requests_in_flight)", legend: "{{app}}" }] },
      ],
    },
    {
      title: "Order saga",
      panels: [
        { title: "Outcomes", unit: "short", queries: [{ expr: `sum by (outcome, reason) (increase(saga_outcomes_total[$__rate_interval]))`, legend: "{{outcome}} {{reason}}" }] },
        {
          title: "Saga duration",
          unit: "s",
          description: `Objective: p99 under ${slos.sagaP99Seconds} s.`,
          queries: [
            { expr: `histogram_quantile(0.5, sum by (le) (${rate("saga_duration_seconds_bucket")}))`, legend: "p50" },
            { expr: `histogram_quantile(0.99, sum by (le) (${rate("saga_duration_seconds_bucket")}))`, legend: "p99" },
          ],
        },
        { title: "Sagas pending", unit: "short", kind: "stat", queries: [{ expr: "sum(saga_pending)", legend: "pending" }] },
        { title: "Saga success ratio (30 m)", unit: "percentunit", kind: "stat", queries: [{ expr: recorded.sagaSuccessRatio, legend: "success" }] },
      ],
    },
    {
      title: "Events",
      panels: [
        { title: "Outbox backlog", unit: "short", queries: [{ expr: "sum by (app) (outbox_backlog)", legend: "{{app}}" }] },
        { title: "Oldest unpublished event", unit: "s", queries: [{ expr: "max by (app) (outbox_oldest_unpublished_age_seconds)", legend: "{{app}}" }] },
        { title: "Consumer lag", unit: "short", queries: [{ expr: "sum by (app, consumer) (consumer_lag)", legend: "{{consumer}}" }] },
        { title: "Dead-lettered events", unit: "short", queries: [{ expr: "sum by (app, consumer) (increase(consumer_dead_lettered_total[$__rate_interval]))", legend: "{{consumer}}" }] },
      ],
    },
  ]);
}

function serviceDashboard(name: ServiceName): Dashboard {
  const service = services[name];
  const app = `app="${name}"`;
  const rows: Array<{ title: string; panels: PanelSpec[] }> = [
    {
      title: service.rpcService ? `Serving ${service.rpcService}` : "Serving REST /api/v1",
      panels: [
        { title: "Requests by route and status", unit: "reqps", queries: [{ expr: `sum by (route, status) (${rate(`http_server_requests_total{${app}}`)})`, legend: "{{route}} {{status}}" }] },
        {
          title: "Latency by route (p50, p99)",
          unit: "s",
          queries: [
            { expr: `histogram_quantile(0.5, sum by (route, le) (${rate(`http_server_duration_seconds_bucket{${app}}`)}))`, legend: "p50 {{route}}" },
            { expr: `histogram_quantile(0.99, sum by (route, le) (${rate(`http_server_duration_seconds_bucket{${app}}`)}))`, legend: "p99 {{route}}" },
          ],
        },
        {
          title: "Connections and requests in flight",
          unit: "short",
          queries: [
            { expr: `sum(http_server_open_connections{${app}})`, legend: "connections" },
            { expr: `sum(http_server_requests_in_flight{${app}})`, legend: "in flight" },
          ],
        },
      ],
    },
  ];
  if (service.rpcService) {
    rows[0]!.panels.push({ title: "RPCs by method and code", unit: "reqps", queries: [{ expr: `sum by (method, code) (${rate(`rpc_server_requests_total{${app}}`)})`, legend: "{{method}} {{code}}" }] });
  }
  if (service.calls.length > 0) {
    rows.push({
      title: `Calls to ${service.calls.join(", ")}`,
      panels: [
        { title: "Calls by method and code", unit: "reqps", queries: [{ expr: `sum by (service, method, code) (${rate(`rpc_client_requests_total{${app}}`)})`, legend: "{{method}} {{code}}" }] },
        { title: "Call latency p99", unit: "s", queries: [{ expr: `histogram_quantile(0.99, sum by (method, le) (${rate(`rpc_client_duration_seconds_bucket{${app}}`)}))`, legend: "{{method}}" }] },
      ],
    });
  }
  if (service.produces.length > 0) {
    rows.push({
      title: `Outbox -> ${service.produces.join(", ")}`,
      panels: [
        {
          title: "Backlog and oldest event",
          unit: "short",
          queries: [
            { expr: `sum(outbox_backlog{${app}})`, legend: "backlog" },
            { expr: `max(outbox_oldest_unpublished_age_seconds{${app}})`, legend: "oldest (s)" },
          ],
        },
        {
          title: "Commit -> publish latency (p50, p99)",
          unit: "s",
          queries: [
            { expr: `histogram_quantile(0.5, sum by (le) (${rate(`outbox_publish_latency_seconds_bucket{${app}}`)}))`, legend: "p50" },
            { expr: `histogram_quantile(0.99, sum by (le) (${rate(`outbox_publish_latency_seconds_bucket{${app}}`)}))`, legend: "p99" },
          ],
        },
      ],
    });
  }
  if (service.consumes.length > 0) {
    rows.push({
      title: `Consuming ${service.consumes.join(", ")}`,
      panels: [
        { title: "Consumer lag", unit: "short", queries: [{ expr: `sum by (consumer, topic) (consumer_lag{${app}})`, legend: "{{topic}}" }] },
        { title: "Handling time p99 by event type", unit: "s", queries: [{ expr: `histogram_quantile(0.99, sum by (type, le) (${rate(`consumer_handler_duration_seconds_bucket{${app}}`)}))`, legend: "{{type}}" }] },
        { title: "Events by outcome", unit: "short", queries: [{ expr: `sum by (outcome) (increase(consumer_events_total{${app}}[$__rate_interval]))`, legend: "{{outcome}}" }] },
        { title: "Dead-lettered events", unit: "short", queries: [{ expr: `sum by (consumer) (increase(consumer_dead_lettered_total{${app}}[$__rate_interval]))`, legend: "{{consumer}}" }] },
      ],
    });
  }
  if (name === "orders") {
    rows.push({
      title: "Saga",
      panels: [
        { title: "Saga duration p99 by outcome", unit: "s", queries: [{ expr: `histogram_quantile(0.99, sum by (outcome, le) (${rate("saga_duration_seconds_bucket{app=\"orders\"}")}))`, legend: "{{outcome}}" }] },
        { title: "Deadline sweeper lag", unit: "s", queries: [{ expr: 'max(saga_deadline_sweeper_lag_seconds{app="orders"})', legend: "lag" }] },
      ],
    });
  }
  rows.push({
    title: "Process",
    panels: [
      { title: "Resident memory", unit: "bytes", queries: [{ expr: `sum(process_resident_memory_bytes{${app}})`, legend: "rss" }] },
      { title: "Event loop lag p99", unit: "s", queries: [{ expr: `max(nodejs_eventloop_lag_p99_seconds{${app}})`, legend: "p99" }] },
    ],
  });
  return dashboard(`meshmart-${name}`, `meshmart / ${name}`, rows);
}

export interface GeneratedDashboard {
  /** File name: <uid>.json. */
  readonly file: string;
  readonly dashboard: Dashboard;
}

export function dashboards(): GeneratedDashboard[] {
  return [overview(), ...serviceNames.map(serviceDashboard)].map((d) => ({ file: `${d.uid}.json`, dashboard: d }));
}

/** Every panel's queries, with Grafana's $__rate_interval as `window` (for running them against Prometheus). */
export function panelQueries(dashboard: Dashboard, window = "1m"): Array<{ panel: string; expr: string }> {
  const panels = (dashboard.panels ?? []) as Array<{ title?: string; targets?: Array<{ expr?: string }> }>;
  return panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title ?? "", expr: (t.expr ?? "").replaceAll("$__rate_interval", window) })));
}
