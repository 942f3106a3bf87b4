// make dlq on the real PostgreSQL and Kafka, with the platform's own consumer
// (outbox -> relay -> Kafka -> consumer with inbox and dead-letter topic): a
// handler that fails dead-letters an event; `make dlq list` and `show` name it
// with its error and attempts; `redrive --id` brings it back and it takes
// effect once; a second redrive of the same letter changes nothing (the inbox
// skips it by its event id).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createEventWorld, emitPrice, type EventWorld } from "@meshmart/platform/events/event-test-kit";
import { eventually, testKafkaBrokers } from "@meshmart/platform/test-support";
import { kafkaClient, readDeadLetters, redrive, selectLetters } from "./dead-letters.ts";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..", "..");
const main = path.join(import.meta.dirname, "main.ts");

function dlq(...args: string[]) {
  const result = spawnSync(process.execPath, ["--disable-warning=TimeoutNegativeWarning", "--import", "tsx", main, ...args, "--brokers", testKafkaBrokers().join(",")], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe("dead letters: list, show, redrive (make dlq)", () => {
  let world: EventWorld;
  let failing = true;
  const broken = randomUUID();
  let brokenEvent = "";

  before(async () => {
    world = await createEventWorld({ brokers: testKafkaBrokers(), maxAttempts: 2 });
    world.beforeEffect = (event) => {
      if (failing && event.productId === broken) throw new Error("price service rejected the change");
    };
    world.relay.start();
    await world.consumer.start();
    brokenEvent = await emitPrice(world, broken, 42n);
    await emitPrice(world, randomUUID(), 7n);
    const kafka = kafkaClient(testKafkaBrokers());
    await eventually(async () => ((await readDeadLetters(kafka, world.topic).catch(() => [])).length > 0 ? true : undefined), { what: "a dead letter", timeoutMs: 30_000 });
  });

  after(async () => {
    await world?.close();
  });

  const effectsOf = async (eventId: string) => (await world.effects()).filter((e) => e.event_id === eventId).length;

  it("list names the letter with its event, consumer, attempts and error", () => {
    const { code, out, err } = dlq("list");
    assert.equal(code, 0, err);
    const line = out.split("\n").find((l) => l.includes(brokenEvent));
    assert.ok(line, `no line for ${brokenEvent} in:\n${out}`);
    assert.match(line, new RegExp(`ProductPriceChanged\\s+${world.group.replace(".", "\\.")}\\s+2x\\s+Error: price service rejected the change`));
    assert.match(out, new RegExp(`${world.topic.replaceAll(".", "\\.")}\\.dlq: 1 letter\\(s\\)`));
  });

  it("show prints one letter in full: original topic and offset, headers, payload", () => {
    const { code, out, err } = dlq("show", world.topic, "--id", brokenEvent);
    assert.equal(code, 0, err);
    assert.match(out, new RegExp(`event\\s+${brokenEvent} meshmart\\.catalog\\.v1\\.ProductPriceChanged`));
    assert.match(out, new RegExp(`original\\s+${world.topic.replaceAll(".", "\\.")} \\d+:\\d+`));
    assert.match(out, /header\s+traceparent: 00-/);
    assert.match(out, /payload\s+\d+ bytes: [0-9a-f]+/);
    assert.doesNotMatch(out, /header\s+dlq_/, "the dlq_ headers are shown as fields, not as the original's headers");
  });

  it("refuses an unknown letter with exit 1, and bad usage with exit 2", () => {
    assert.equal(dlq("show", world.topic, "--id", randomUUID()).code, 1);
    assert.equal(dlq("redrive").code, 2);
    assert.equal(dlq("explode", "x").code, 2);
  });

  it("redrive --id takes effect once the handler is fixed; a second redrive of the same letter changes nothing", async () => {
    assert.equal(await effectsOf(brokenEvent), 0, "a dead-lettered event has no effect");
    failing = false;
    const first = dlq("redrive", world.topic, "--id", brokenEvent);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /1 letter\(s\) redriven/);
    await eventually(async () => ((await effectsOf(brokenEvent)) === 1 ? true : undefined), { what: "the redriven event's effect" });

    // The same letter again, through the library this time: consumed (the group's lag back to 0), skipped.
    const kafka = kafkaClient(testKafkaBrokers());
    const letters = selectLetters(await readDeadLetters(kafka, world.topic), { ids: [brokenEvent] });
    assert.equal(letters.length, 1, "the dead letter stays where it was; a redrive copies it");
    assert.equal(await redrive(kafka, letters), 1);
    await eventually(async () => ((await world.bus.groupLag(world.group, [world.topic])) === 0 ? true : undefined), { what: "the second redrive consumed" });
    await sleep(500);
    assert.equal(await effectsOf(brokenEvent), 1, "a second redrive of the same letter has no second effect");
    const inbox = await world.db.query<{ n: string }>("SELECT count(*) AS n FROM inbox WHERE event_id = $1", [brokenEvent]);
    assert.equal(inbox.rows[0]!.n, "1", "the event is in the inbox once");
  });
});
