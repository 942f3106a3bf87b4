// How far behind its events the projection is, per topic: the events this
// process applied and the CloudEvent time of the latest, as metrics in the
// service's registry and for GetProjectionStatus.
//   projection_events_applied_total{topic}  events applied (after their commit)
//   projection_lag_seconds{topic}           0 while the consumer has nothing
//       pending on the topic; else now minus the CloudEvent time of the last
//       event applied (before the first: minus the time this process started
//       counting). "Nothing pending" is the platform consumer's own
//       consumer_lag gauge (messages), read at scrape time.
import { Counter, Gauge, type Registry } from "prom-client";

export interface TopicReading {
  topic: string;
  eventsApplied: number;
  lastEventTime?: Date;
}

export class ProjectionProgress {
  private readonly applied = new Map<string, number>();
  private readonly lastEventTime = new Map<string, Date>();
  private countingSince = Date.now();
  private readonly appliedTotal: Counter<"topic">;

  /**
   * @param topics the topics read, unprefixed (the metrics' label)
   * @param prefix the topic prefix the consumer runs with (its consumer_lag gauge's topic label carries it)
   * @param consumer the consumer group (the consumer_lag gauge's consumer label)
   */
  constructor(
    private readonly registry: Registry,
    private readonly topics: readonly string[],
    private readonly prefix: string,
    private readonly consumer: string,
  ) {
    const registers = [registry];
    this.appliedTotal = new Counter({
      name: "projection_events_applied_total",
      help: "Events the order-history projection applied, by topic (counted after their transaction commits).",
      labelNames: ["topic"],
      registers,
    });
    for (const topic of topics) this.appliedTotal.inc({ topic }, 0);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const progress = this;
    new Gauge({
      name: "projection_lag_seconds",
      help: "How far the order-history projection is behind, by topic: 0 with nothing pending, else now minus the CloudEvent time of the last event applied.",
      labelNames: ["topic"],
      registers,
      async collect() {
        const pending = await progress.pendingFromConsumer();
        for (const topic of progress.topics) this.set({ topic }, progress.lagSeconds(topic, pending.get(topic) ?? 0));
      },
    });
  }

  /** An event of `topic` was applied (its transaction committed). */
  record(topic: string, eventTime: Date): void {
    this.applied.set(topic, (this.applied.get(topic) ?? 0) + 1);
    const last = this.lastEventTime.get(topic);
    if (!last || eventTime > last) this.lastEventTime.set(topic, eventTime);
    this.appliedTotal.inc({ topic });
  }

  /** A rebuild starts: count from zero (the counter metric only ever grows). */
  restart(): void {
    this.applied.clear();
    this.lastEventTime.clear();
    this.countingSince = Date.now();
  }

  readings(): TopicReading[] {
    return this.topics.map((topic) => ({ topic, eventsApplied: this.applied.get(topic) ?? 0, lastEventTime: this.lastEventTime.get(topic) }));
  }

  /** Seconds behind on `topic` with `pending` messages not yet handled. */
  lagSeconds(topic: string, pending: number, now = Date.now()): number {
    if (pending <= 0) return 0;
    const since = this.lastEventTime.get(topic)?.getTime() ?? this.countingSince;
    return Math.max(0, (now - since) / 1000);
  }

  /** Messages pending per (unprefixed) topic, as the consumer last reported them (consumer_lag, summed over partitions). */
  private async pendingFromConsumer(): Promise<Map<string, number>> {
    const pending = new Map<string, number>();
    const gauge = this.registry.getSingleMetric("consumer_lag") as Gauge | undefined;
    if (!gauge) return pending;
    for (const { labels, value } of (await gauge.get()).values) {
      if (labels.consumer !== this.consumer || typeof labels.topic !== "string" || !labels.topic.startsWith(this.prefix)) continue;
      const topic = labels.topic.slice(this.prefix.length);
      pending.set(topic, (pending.get(topic) ?? 0) + value);
    }
    return pending;
  }
}
