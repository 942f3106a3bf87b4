// What Prometheus and Grafana need from the platform, beside the
// prometheus.io/* annotations every service pod carries (Istio merges them
// into its agent's :15020/stats/prometheus): the SLO recording and alerting
// rules as a PrometheusRule, optionally a PodMonitor for a
// prometheus-operator that does not read annotations, and the Grafana
// dashboards as ConfigMaps labelled for Grafana's dashboard sidecar
// (grafana_dashboard=1). The rules and dashboards are the ones in
// services/observability/ (generated from the topology table).
import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import { dashboards } from "@meshmart/observability/dashboards";
import { ruleGroups } from "@meshmart/observability/prometheus-rules";
import { partOf } from "./labels.ts";

export const monitoringApiVersion = "monitoring.coreos.com/v1";
export const prometheusRuleName = "meshmart-slo";
export const podMonitorName = "meshmart";
/** The label Grafana's dashboard sidecar looks for (the grafana chart's default). */
export const grafanaDashboardLabel = { grafana_dashboard: "1" } as const;

export interface MonitoringProps {
  readonly prometheusRules: boolean;
  readonly podMonitor: boolean;
  readonly dashboards: boolean;
}

export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    if (props.prometheusRules) {
      new ApiObject(this, "prometheus-rule", {
        apiVersion: monitoringApiVersion,
        kind: "PrometheusRule",
        metadata: { name: prometheusRuleName },
        spec: { groups: ruleGroups() },
      });
    }
    if (props.podMonitor) {
      new ApiObject(this, "pod-monitor", {
        apiVersion: monitoringApiVersion,
        kind: "PodMonitor",
        metadata: { name: podMonitorName },
        spec: {
          selector: {
            matchLabels: { "app.kubernetes.io/part-of": partOf },
            matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["service", "edge"] }],
          },
          // Istio's agent serves the app's metrics merged with the proxy's, outside mTLS.
          podMetricsEndpoints: [{ portNumber: 15020, path: "/stats/prometheus", interval: "15s" }],
        },
      });
    }
    if (props.dashboards) {
      for (const { file, dashboard } of dashboards()) {
        new ApiObject(this, `dashboard-${dashboard.uid ?? file}`, {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `grafana-dashboard-${(dashboard.uid ?? file).replace(/\.json$/, "")}`, labels: { ...grafanaDashboardLabel } },
          data: { [file]: JSON.stringify(dashboard) },
        });
      }
    }
  }
}
