// The event backbone at its worst moments: a relay that dies between publishing
// and marking, a consumer that dies between its effect and its offset commit,
// a storm of redeliveries, poison on a topic, and consumers of one group coming
// and going under load.
import { topics } from "@meshmart/topology";
import { hypothesis, lostMember } from "./hypothesis.ts";
import type { ScenarioDefinition } from "./scenario-definitions.ts";

export const eventScenarios: ScenarioDefinition[] = [
  {
    name: "relay-crash-before-mark",
    group: "events",
    summary: "orders' relay publishes a batch and dies (SIGKILL) before marking it published; the rows go out again",
    proves: "at-least-once publishing is safe: the duplicates reach every consumer and the inboxes skip them (duplicates counted, invariants hold)",
    how: {
      local: 'PUT /admin/faults on orders "relay:after-publish=crash" (a test-only crash point); orders must die, restarted 1 s later',
      kind: 'env FAULTS="relay:after-publish=crash@0.05" on orders, rolled out (pods crash and restart until it is removed)',
    },
    fault: { kind: "crash-point", service: "orders", rules: "relay:after-publish=crash" },
    kindFault: { kind: "fault-switch", service: "orders", rules: "relay:after-publish=crash@0.05" },
    warmupMs: 3_000,
    holdMs: 1_000,
    // orders itself is down from the crash until its restart is serving (a few seconds with its
    // migrations check), and the gateway's breaker refuses for 2 s after: most of what is placed
    // during the fault is refused with 503 + Retry-After, which is the right answer. Killed at the
    // crash point, orders' consumer loses its group membership: the recovery of a lost member.
    cooldownMs: lostMember.cooldownMs,
    hypothesis: hypothesis({ during: { minAccepted: 0.1 }, recoveryMs: lostMember.recoveryMs }),
    quick: true,
  },
  {
    name: "consumer-crash-before-commit",
    group: "events",
    summary: "payments commits a capture and dies (SIGKILL) before committing the Kafka offset; the event is redelivered",
    proves: "effect and inbox record commit together: the redelivered PaymentRequested is a skipped duplicate, never a second charge",
    how: {
      local: 'PUT /admin/faults on payments "committed:PaymentRequested=crash" (a test-only crash point); payments must die, restarted 1 s later',
      kind: 'env FAULTS="committed:PaymentRequested=crash@0.1" on payments, rolled out (pods crash and restart until it is removed)',
    },
    fault: { kind: "crash-point", service: "payments", rules: "committed:PaymentRequested=crash" },
    kindFault: { kind: "fault-switch", service: "payments", rules: "committed:PaymentRequested=crash@0.1" },
    warmupMs: 3_000,
    holdMs: 1_000,
    // Killed at the crash point, payments' consumer loses its group membership: until its session
    // times out nobody charges, sagas wait and admission control refuses with Retry-After.
    cooldownMs: lostMember.cooldownMs,
    hypothesis: hypothesis({ recoveryMs: lostMember.recoveryMs }),
  },
  {
    name: "projection-rebuild",
    group: "events",
    summary: "history (the order-history projection) killed with SIGKILL mid-load, restarted, then rebuilt from the start of its topics while orders keep coming",
    proves:
      "the read model is disposable: its consumer's death loses nothing, and a rebuild from the kept events under load gives back exactly the services' own records (invariant 7)",
    how: {
      local: "ServiceProcesses.kill(history, SIGKILL), start it again, POST /admin/projection/rebuild (consumers stopped, tables and inbox emptied, the group reset to the earliest offsets, consuming again)",
    },
    notOn: { kind: "the rebuild is asked of one history process through its admin port, which the cluster does not forward (make rebuild-projection ARGS=--url ... against a port-forward does it by hand)" },
    fault: { kind: "projection-rebuild" },
    warmupMs: 3_000,
    holdMs: 1_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
  },
  {
    name: "redelivery-storm",
    group: "events",
    summary: `inventory, payments, shipping and notifications stopped, their consumer groups rewound to the start of ${topics.orders}, started again: every event so far delivered once more`,
    proves: "a flood of duplicates is harmless: every one is skipped by the inbox, no stock moves twice, no second capture, booking or notification",
    how: {
      local: "SIGTERM the four consumers, kafkajs admin.resetOffsets(earliest) of their groups (committed offsets must go back), start them again",
    },
    notOn: { kind: "the in-cluster broker is not reachable from outside for the admin API (exec of kafka-consumer-groups.sh --reset-offsets would be the way)" },
    fault: { kind: "redelivery-storm", services: ["inventory", "payments", "shipping", "notifications"] },
    warmupMs: 6_000,
    holdMs: 1_000,
    cooldownMs: 4_000,
    // The fault window holds the four consumers' stop, the rewind and their restart (27 s on the
    // 2-core machine on 2026-12-03, four processes starting at once): no saga can finish meanwhile,
    // so admission control refuses with Retry-After (checked) and no accepted share is promised
    // (22% and 29% in two runs). What the storm must not do is hurt after the heal: the "after"
    // bounds, and the invariants over every redelivered event.
    hypothesis: hypothesis({ during: { minAccepted: 0 } }),
  },
  {
    name: "poison-message",
    group: "events",
    summary: `undecodable messages on ${topics.orders} and a notifications handler failing: both end in ${topics.orders}.dlq; the valid letters are redriven (twice)`,
    proves:
      "poison never blocks a partition (it is dead-lettered at once), a failing handler dead-letters after bounded retries, and a redrive is safe: the second one changes nothing",
    how: {
      local: `publish 5 undecodable messages to ${topics.orders}; notifications (EVENT_MAX_ATTEMPTS=2) fails OrderConfirmed/OrderCancelled; heal: rules off, redrive notifications' valid letters, after rest redrive them again`,
    },
    notOn: { kind: "the in-cluster broker is not reachable from outside to publish poison or redrive" },
    fault: {
      kind: "poison-message",
      topic: topics.orders,
      count: 5,
      failing: { service: "notifications", rules: "event:OrderConfirmed=fail:internal,event:OrderCancelled=fail:internal" },
    },
    warmupMs: 3_000,
    holdMs: 5_000,
    cooldownMs: 4_000,
    serviceEnv: { notifications: { EVENT_MAX_ATTEMPTS: "2" } },
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
  },
  {
    name: "rebalance-storm",
    group: "events",
    summary: "two more inventory instances join its consumer group and leave again, three times, under load",
    proves: "rebalances (partitions taken away mid-batch) lose and double nothing: uncommitted work is redone by the next owner and skipped by the inbox",
    how: {
      local: "start 2 extra inventory processes (same database and consumer group), stop them 2 s later (SIGTERM), three cycles; the group's member count must reach 3",
      kind: "AppsV1Api.patchNamespacedDeploymentScale inventory to replicas + 2 and back, three cycles",
    },
    fault: { kind: "rebalance-storm", service: "inventory", extra: 2, cycles: 3, periodMs: 2_000 },
    warmupMs: 3_000,
    holdMs: 12_000,
    cooldownMs: 4_000,
    hypothesis: hypothesis({ during: { minAccepted: 0.9 } }),
  },
];
