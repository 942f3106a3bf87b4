// Prometheus recording and alerting rules, derived from the topology table:
// a 5xx-ratio alert for every service, outbox-age alerts for every service
// that publishes, lag and dead-letter alerts for every service that consumes,
// and the saga's success ratio, p99 and deadline sweeper for orders. The same
// groups go into a PrometheusRule object (cdk8s) and into
// services/observability/prometheus/meshmart.rules.yaml for the local Prometheus.
// Every series the services export carries `app` (their name): the rules
// select and aggregate by it, so they hold however the series were scraped.
import { stringify } from "yaml";
import { serviceNames, services } from "@meshmart/topology";
import { alertFor, slos, thresholds } from "./slos.ts";

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Array<RecordingRule | AlertingRule>;
}

/** Names of the recorded series (dashboards read them too). */
export const recorded = {
  httpRequestRate: "app:http_server_requests:rate5m",
  http5xxRatio: "app:http_server_5xx:ratio_rate5m",
  httpP99: "app:http_server_duration_seconds:p99_5m",
  sagaSuccessRatio: "meshmart:saga_success:ratio_rate30m",
  sagaP99: "meshmart:saga_duration_seconds:p99_5m",
  outboxOldestAge: "app:outbox_oldest_unpublished_age_seconds:max",
  consumerLag: "app_consumer:consumer_lag:sum",
  deadLetters: "app_consumer:consumer_dead_lettered:increase15m",
} as const;

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * The expressions behind the recorded series, for one service when `app` is
 * given. Alerts use the expressions themselves, not the recorded series: rule
 * groups are evaluated independently, so an alert reading another group's
 * recording sees it one evaluation late.
 */
const expressions = {
  // A service with no 5xx at all has a ratio of 0, not no ratio: "or" fills the numerator with zeros.
  http5xxRatio: (app?: string) => {
    const all = `sum by (app) (rate(http_server_requests_total${app ? `{app="${app}"}` : ""}[5m]))`;
    return `(sum by (app) (rate(http_server_requests_total{${app ? `app="${app}",` : ""}status=~"5.."}[5m])) or ${all} * 0) / ${all}`;
  },
  sagaSuccessRatio: () => `1 - (sum(rate(saga_outcomes_total{reason="DEADLINE_EXCEEDED"}[30m])) or vector(0)) / sum(rate(saga_outcomes_total[30m]))`,
  sagaP99: () => "histogram_quantile(0.99, sum by (le) (rate(saga_duration_seconds_bucket[5m])))",
  outboxOldestAge: (app?: string) => `max by (app) (outbox_oldest_unpublished_age_seconds${app ? `{app="${app}"}` : ""})`,
  consumerLag: (app?: string) => `sum by (app, consumer) (consumer_lag${app ? `{app="${app}"}` : ""})`,
  deadLetters: (app?: string) => `sum by (app, consumer) (increase(consumer_dead_lettered_total${app ? `{app="${app}"}` : ""}[15m]))`,
};

function recordingRules(): RecordingRule[] {
  return [
    { record: recorded.httpRequestRate, expr: "sum by (app) (rate(http_server_requests_total[5m]))" },
    { record: recorded.http5xxRatio, expr: expressions.http5xxRatio() },
    { record: recorded.httpP99, expr: "histogram_quantile(0.99, sum by (app, le) (rate(http_server_duration_seconds_bucket[5m])))" },
    { record: recorded.sagaSuccessRatio, expr: expressions.sagaSuccessRatio() },
    { record: recorded.sagaP99, expr: expressions.sagaP99() },
    { record: recorded.outboxOldestAge, expr: expressions.outboxOldestAge() },
    { record: recorded.consumerLag, expr: expressions.consumerLag() },
    { record: recorded.deadLetters, expr: expressions.deadLetters() },
  ];
}

function serviceAlerts(name: string): AlertingRule[] {
  const service = services[name as keyof typeof services];
  const labels = { service: name, team: "meshmart" };
  const alerts: AlertingRule[] = [
    {
      alert: `${pascal(name)}High5xxRatio`,
      expr: `${expressions.http5xxRatio(name)} > ${(1 - slos.availability).toFixed(4)}`,
      for: alertFor.ratio,
      labels: { ...labels, severity: "page" },
      annotations: {
        summary: `${name} answers more than ${((1 - slos.availability) * 100).toFixed(1)} % of its requests with a 5xx`,
        description: `{{ $value | humanizePercentage }} of the requests to ${name} failed with a 5xx over the last 5 minutes (objective: ${slos.availability * 100} % succeed).`,
      },
    },
  ];
  if (service.produces.length > 0) {
    alerts.push({
      alert: `${pascal(name)}OutboxStalled`,
      expr: `${expressions.outboxOldestAge(name)} > ${thresholds.outboxOldestAgeSeconds}`,
      for: alertFor.backlog,
      labels: { ...labels, severity: "page" },
      annotations: {
        summary: `the outbox of ${name} has an event waiting for more than ${thresholds.outboxOldestAgeSeconds} s`,
        description: `The oldest unpublished event in the outbox of ${name} is {{ $value | humanizeDuration }} old: its relay cannot publish to ${service.produces.join(", ")}.`,
      },
    });
  }
  if (service.consumes.length > 0) {
    alerts.push(
      {
        alert: `${pascal(name)}ConsumerLagHigh`,
        expr: `${expressions.consumerLag(name)} > ${thresholds.consumerLagMessages}`,
        for: alertFor.lag,
        labels: { ...labels, severity: "ticket" },
        annotations: {
          summary: `${name} is more than ${thresholds.consumerLagMessages} messages behind`,
          description: `Consumer group {{ $labels.consumer }} is {{ $value }} messages behind on ${service.consumes.join(", ")}.`,
        },
      },
      {
        alert: `${pascal(name)}DeadLetters`,
        expr: `${expressions.deadLetters(name)} > 0`,
        labels: { ...labels, severity: "ticket" },
        annotations: {
          summary: `${name} dead-lettered events`,
          description: `Consumer group {{ $labels.consumer }} sent {{ $value }} events to a dead-letter topic in the last 15 minutes: read <topic>.dlq for their errors.`,
        },
      },
    );
  }
  return alerts;
}

function sagaAlerts(): AlertingRule[] {
  const labels = { service: "orders", team: "meshmart" };
  return [
    {
      alert: "SagaSuccessRatioLow",
      expr: `${expressions.sagaSuccessRatio()} < ${slos.sagaSuccessRatio}`,
      for: alertFor.ratio,
      labels: { ...labels, severity: "page" },
      annotations: {
        summary: `fewer than ${slos.sagaSuccessRatio * 100} % of order sagas end before their deadline`,
        description: "{{ $value | humanizePercentage }} of the sagas that ended in the last 30 minutes did so by a business decision; the rest hit their deadline.",
      },
    },
    {
      alert: "SagaP99High",
      expr: `${expressions.sagaP99()} > ${slos.sagaP99Seconds}`,
      for: alertFor.latency,
      labels: { ...labels, severity: "ticket" },
      annotations: {
        summary: `the 99th percentile of order sagas is over ${slos.sagaP99Seconds} s`,
        description: "Placing an order takes {{ $value | humanizeDuration }} to reach its final status at the 99th percentile.",
      },
    },
    {
      alert: "SagaDeadlineSweeperLagging",
      expr: `max(saga_deadline_sweeper_lag_seconds) > ${thresholds.deadlineSweeperLagSeconds}`,
      for: alertFor.backlog,
      labels: { ...labels, severity: "page" },
      annotations: {
        summary: "expired sagas are not being cancelled",
        description: "The oldest PENDING order is {{ $value | humanizeDuration }} past its deadline and still not cancelled.",
      },
    },
  ];
}

export function ruleGroups(): RuleGroup[] {
  return [
    { name: "meshmart.recording", rules: recordingRules() },
    { name: "meshmart.saga", rules: sagaAlerts() },
    ...serviceNames.map((name) => ({ name: `meshmart.${name}`, rules: serviceAlerts(name) })),
  ];
}

/** The rules file Prometheus reads (rule_files), as YAML. */
export function rulesFile(): string {
  return `# Generated by \`npm run generate -w @meshmart/observability\` from services/observability/src/prometheus-rules.ts: do not edit.\n${stringify({ groups: ruleGroups() }, { lineWidth: 0 })}`;
}
