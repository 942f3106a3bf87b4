// Event-backbone faults of the local target: a redelivery storm (consumers
// stopped, their groups rewound with the admin API, started again) and poison
// on a topic next to a failing handler, whose valid dead letters are redriven
// after the heal, and once more after rest.
import { setTimeout as sleep } from "node:timers/promises";
import { OrderPlacedSchema } from "@meshmart/proto/orders/v1/events_pb";
import { services, type ServiceName } from "@meshmart/topology";
import { readDeadLetters, redrive, selectLetters } from "../dlq/dead-letters.ts";
import type { Fault } from "./fault.ts";
import { publishPoison, rewindGroup } from "./kafka-tools.ts";
import { metricValue } from "../rest.ts";
import { duplicatesSkipped, isReady, metricsText, putFaults, urlOf, type LocalStack } from "./local-stack.ts";
import type { Injected } from "./target.ts";
import { confirmed, notConfirmed } from "./verdict.ts";

export async function redeliveryStorm(local: LocalStack, fault: Fault & { kind: "redelivery-storm" }): Promise<Injected> {
  const { processes } = local.stack;
  local.log(`SIGTERM ${fault.services.join(", ")} (a group must be empty to be rewound)`);
  await Promise.all(fault.services.map((name) => processes.kill(name, "SIGTERM")));
  const rewound: Record<string, number> = {};
  for (const name of fault.services) {
    const topics = services[name].consumes.map((t) => local.stack.topicPrefix + t);
    rewound[name] = await rewindGroup(local.admin, `${local.stack.topicPrefix}${name}`, topics);
  }
  const total = Object.values(rewound).reduce((a, b) => a + b, 0);
  local.log(`rewound: ${JSON.stringify(rewound)}; starting the consumers again`);
  await Promise.all(fault.services.map((name) => processes.start(name)));
  return {
    applied:
      total > 0
        ? confirmed(`consumer groups rewound to the start of their topics: ${Object.entries(rewound).map(([n, r]) => `${n} ${r} offsets`).join(", ")} to be delivered again`)
        : notConfirmed("no committed offset to rewind: nothing had been consumed"),
    heal: async () => {
      const ready = await Promise.all(fault.services.map((name) => isReady(urlOf(local, name))));
      return ready.every(Boolean) ? confirmed(`${fault.services.join(", ")} ready, consuming the redeliveries`) : notConfirmed("a consumer is not ready");
    },
    afterRest: async () => {
      const skipped = await duplicatesSkipped(local, fault.services);
      const ignored: Record<string, number> = {};
      for (const name of fault.services) ignored[name] = metricValue(await metricsText(urlOf(local, name)), "consumer_events_total", { outcome: "ignored" });
      const seen = fault.services.reduce((sum, name) => sum + (skipped[name] ?? 0) + (ignored[name] ?? 0), 0);
      // Every redelivered event is either skipped by the inbox or not the consumer's type at all.
      return seen >= total
        ? confirmed(`${seen} redelivered events seen again, each skipped (duplicates: ${JSON.stringify(skipped)}, other consumers' types: ${JSON.stringify(ignored)})`)
        : notConfirmed(`only ${seen} of ${total} rewound events were seen again (duplicates ${JSON.stringify(skipped)}, ignored ${JSON.stringify(ignored)})`);
    },
  };
}

export async function poisonAndRedrive(local: LocalStack, fault: Fault & { kind: "poison-message" }): Promise<Injected> {
  const topic = local.stack.topicPrefix + fault.topic;
  const failing = fault.failing.service;
  const group = `${local.stack.topicPrefix}${failing}`;
  const url = urlOf(local, failing);
  local.log(`publishing ${fault.count} undecodable messages to ${topic}; PUT ${url}/admin/faults "${fault.failing.rules}"`);
  const rules = await putFaults(url, fault.failing.rules);
  const poisonKeys = new Set(await publishPoison(local.admin, topic, OrderPlacedSchema.typeName, fault.count));
  const consumers = (Object.keys(services) as ServiceName[]).filter((n) => services[n].consumes.includes(fault.topic));
  // A message without CloudEvents headers is dead-lettered by every consumer of the topic; one
  // typed OrderPlaced with bytes that are no OrderPlaced by the consumer of that type (the others ignore the type).
  const deadline = Date.now() + 15_000;
  let letters = await readDeadLetters(local.admin, topic).catch(() => []);
  const poisonLetters = () => letters.filter((l) => poisonKeys.has(l.key));
  const everyOneLettered = () => [...poisonKeys].every((key) => letters.some((l) => l.key === key));
  while (!everyOneLettered() && Date.now() < deadline) {
    await sleep(500);
    letters = await readDeadLetters(local.admin, topic).catch(() => []);
  }
  const poisoned = poisonLetters();
  let redriven: ReturnType<typeof selectLetters> = [];
  let notificationsAfterFirst = -1;
  const notificationCount = async () => {
    const res = await fetch(`${url}/meshmart.notifications.v1.NotificationService/ListNotifications`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pageSize: 1000 }),
    });
    let n = 0;
    let body = (await res.json()) as { notifications?: unknown[]; nextPageToken?: string };
    n += body.notifications?.length ?? 0;
    while (body.nextPageToken) {
      const next = await fetch(`${url}/meshmart.notifications.v1.NotificationService/ListNotifications`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pageSize: 1000, pageToken: body.nextPageToken }),
      });
      body = (await next.json()) as typeof body;
      n += body.notifications?.length ?? 0;
    }
    return n;
  };
  return {
    applied:
      rules.confirmed && everyOneLettered() && poisoned.every((l) => l.attempts === 1 && /undecodable|Malformed/i.test(l.error))
        ? confirmed(`all ${fault.count} poison messages dead-lettered at the first attempt: ${poisoned.length} letters on ${topic}.dlq from ${[...new Set(poisoned.map((l) => l.consumer.slice(local.stack.topicPrefix.length)))].join(", ")} (of ${consumers.join(", ")}): ${poisoned[0]?.error.slice(0, 80)}; ${rules.evidence}`)
        : notConfirmed(`${new Set(poisoned.map((l) => l.key)).size} of ${fault.count} poison messages dead-lettered within 15 s${rules.confirmed ? "" : `; ${rules.evidence}`}`),
    heal: async () => {
      await putFaults(url, "");
      await sleep(2_000); // letters of attempts in flight land
      const all = await readDeadLetters(local.admin, topic);
      redriven = selectLetters(all, { consumer: group }).filter((l) => !poisonKeys.has(l.key));
      if (redriven.length === 0) return notConfirmed(`${failing}'s handler failing left no valid dead letter to redrive`);
      local.log(`redriving ${redriven.length} valid letter(s) ${failing} dead-lettered (the poison stays in ${topic}.dlq)`);
      await redrive(local.admin, redriven);
      return confirmed(`${failing}'s fault rules removed; ${redriven.length} valid letter(s) it dead-lettered (after ${redriven[0]!.attempts} attempts) redriven to ${topic}`);
    },
    afterRest: async () => {
      if (redriven.length === 0) return notConfirmed("nothing was redriven");
      notificationsAfterFirst = await notificationCount();
      const duplicatesBefore = (await duplicatesSkipped(local, [failing]))[failing] ?? 0;
      await redrive(local.admin, redriven);
      // The second redrive is consumed (lag 0 again) before it is judged.
      const until = Date.now() + 30_000;
      let duplicates = duplicatesBefore;
      while (Date.now() < until && duplicates < duplicatesBefore + redriven.length) {
        await sleep(500);
        duplicates = (await duplicatesSkipped(local, [failing]))[failing] ?? 0;
      }
      const notificationsAfterSecond = await notificationCount();
      return duplicates >= duplicatesBefore + redriven.length && notificationsAfterSecond === notificationsAfterFirst
        ? confirmed(`the redrive made the missing notifications (${notificationsAfterFirst} in all); a second redrive of the same ${redriven.length} letter(s) changed nothing: ${duplicates - duplicatesBefore} duplicates skipped, still ${notificationsAfterSecond} notifications`)
        : notConfirmed(`second redrive: ${duplicates - duplicatesBefore} of ${redriven.length} skipped as duplicates, notifications ${notificationsAfterFirst} -> ${notificationsAfterSecond}`);
    },
  };
}
