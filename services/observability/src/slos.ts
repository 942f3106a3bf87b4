// The platform's service-level objectives and alert thresholds: the numbers
// the recording and alerting rules (prometheus-rules.ts) and the dashboards
// (dashboards.ts) are built from. The services they apply to come from the
// topology table.

export const slos = {
  /** Share of sagas that end by the business's decision (confirmed, out of stock, declined, customer), not by their deadline. */
  sagaSuccessRatio: 0.99,
  /** 99th percentile of PlaceOrder -> final status. */
  sagaP99Seconds: 5,
  /** Share of HTTP requests (RPC or REST) a service answers without a 5xx. */
  availability: 0.99,
} as const;

export const thresholds = {
  /** An event waiting this long in an outbox means its relay is stuck (broker down, relay not leading). */
  outboxOldestAgeSeconds: 60,
  /** Messages a consumer group may be behind for a while. */
  consumerLagMessages: 1_000,
  /** How late the deadline sweeper may be in cancelling an expired saga. */
  deadlineSweeperLagSeconds: 15,
} as const;

/** How long a condition must hold before its alert fires. */
export const alertFor = {
  ratio: "10m",
  latency: "10m",
  backlog: "2m",
  lag: "5m",
} as const;
