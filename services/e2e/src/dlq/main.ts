// `make dlq`: the dead letters on a Kafka broker. list: every dead-letter topic
// and its letters with their error and attempts; show: one topic's letters in
// full (headers, payload); redrive: publish letters back to their original
// topic (consumers skip what they already handled, by event id).
//   npx tsx services/e2e/src/dlq/main.ts list|show <topic>|redrive <topic> [--id ID]... [--consumer GROUP] [--brokers H:P | --profile NAME]
import { parseArgs } from "node:util";
import { startKafka } from "@meshmart/infra/kafka";
import { deadLetterTopicOf, kafkaClient, listDeadLetterTopics, readDeadLetters, redrive, selectLetters, type DeadLetter } from "./dead-letters.ts";
import { exitFlushed } from "../exit-flushed.ts";

const usage = `usage: make dlq ARGS="list | show <topic> | redrive <topic> [--id ID]... [--consumer GROUP]"
       npx tsx services/e2e/src/dlq/main.ts <command> [options]

commands:
  list               every dead-letter topic (<topic>.dlq) and its letters: event id, type, consumer, attempts, error
  show <topic>       the letters of one topic in full: headers, payload (hex); <topic> or <topic>.dlq
  redrive <topic>    publish letters back to their original topic, as they were (key, value, headers);
                     consumers that handled an event before skip it by its id, so a second redrive changes nothing

options:
  --id ID            only this letter: its event id (ce_id) or <partition>:<offset> on the .dlq topic (repeatable)
  --consumer GROUP   only letters this consumer group wrote (dlq_consumer)
  --brokers H:P,...  the broker (default: KAFKA_BROKERS, else make dev's 127.0.0.1:9092)
  --profile NAME     the broker of a local profile, started if it is stopped (e.g. scenarios: what the fault scenarios left)

Exit status: 0, 1 when a topic or letter is not found, 2 on bad usage.`;

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      id: { type: "string", multiple: true, default: [] },
      consumer: { type: "string" },
      brokers: { type: "string" },
      profile: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (err) {
  console.error(`dlq: ${(err as Error).message}\n\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;
const [command, topic] = positionals;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!command || !["list", "show", "redrive"].includes(command) || (command !== "list" && !topic) || positionals.length > (command === "list" ? 1 : 2)) {
  console.error(`dlq: ${command ? `bad command line: ${positionals.join(" ")}` : "a command is needed"}\n\n${usage}`);
  process.exit(2);
}

let brokers: string[];
if (values.brokers) brokers = values.brokers.split(",");
else if (values.profile) brokers = (await startKafka({ profile: values.profile, own: true, log: (line) => console.error(`[infra] ${line}`) })).brokers;
else brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const kafka = kafkaClient(brokers);

const oneLine = (text: string, max = 100) => (text.length > max ? `${text.slice(0, max - 1)}…` : text).replace(/\s+/g, " ");
const row = (l: DeadLetter) =>
  `  ${`${l.partition}:${l.offset}`.padEnd(8)} ${(l.eventId || "(no event id)").padEnd(36)} ${(l.type.split(".").at(-1) || "?").padEnd(18)} ${l.consumer.padEnd(28)} ${String(l.attempts).padStart(2)}x  ${oneLine(l.error)}`;

try {
  if (command === "list") {
    const topics = await listDeadLetterTopics(kafka);
    const withLetters = topics.filter((t) => t.letters > 0);
    console.log(`dead letters on ${brokers.join(",")}: ${withLetters.reduce((s, t) => s + t.letters, 0)} in ${withLetters.length} of ${topics.length} dead-letter topics`);
    for (const { topic: dlq, letters } of withLetters) {
      console.log(`\n${dlq}: ${letters} letter(s)`);
      console.log(`  ${"position".padEnd(8)} ${"event id".padEnd(36)} ${"type".padEnd(18)} ${"consumer".padEnd(28)} tries  error`);
      for (const letter of selectLetters(await readDeadLetters(kafka, dlq), { ids: values.id, ...(values.consumer ? { consumer: values.consumer } : {}) })) console.log(row(letter));
    }
  } else {
    const letters = selectLetters(await readDeadLetters(kafka, topic!), { ids: values.id, ...(values.consumer ? { consumer: values.consumer } : {}) });
    if (letters.length === 0) {
      console.error(`dlq: no letter on ${deadLetterTopicOf(topic!)} matches${values.id.length ? ` ${values.id.join(", ")}` : ""}${values.consumer ? ` (consumer ${values.consumer})` : ""}`);
      process.exit(1);
    }
    if (command === "show") {
      for (const l of letters) {
        console.log(`${l.topic} ${l.partition}:${l.offset}`);
        console.log(`  event      ${l.eventId || "(none)"} ${l.type}`);
        console.log(`  key        ${l.key}`);
        console.log(`  consumer   ${l.consumer}, ${l.attempts} attempt(s), at ${l.time}`);
        console.log(`  error      ${l.error}`);
        console.log(`  original   ${l.originalTopic} ${l.originalPartition}:${l.originalOffset}`);
        for (const [k, v] of Object.entries(l.headers)) console.log(`  header     ${k}: ${v}`);
        console.log(`  payload    ${l.value.length} bytes: ${l.value.subarray(0, 64).toString("hex")}${l.value.length > 64 ? "…" : ""}\n`);
      }
    } else {
      const n = await redrive(kafka, letters);
      for (const l of letters) console.log(`redriven ${l.topic} ${l.partition}:${l.offset} (${l.eventId || "no event id"}) -> ${l.originalTopic}`);
      console.log(`dlq: ${n} letter(s) redriven; consumers that handled an event before skip it by its id`);
    }
  }
} catch (err) {
  console.error(`dlq: ${(err as Error).message}`);
  process.exit(1);
}
await exitFlushed(0);
