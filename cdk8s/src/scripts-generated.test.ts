// The shell scripts the synth ships inside ConfigMaps (Postgres init, Kafka
// start, topic creation) are real scripts: bash parses them and shellcheck
// passes on them.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ensureTool, runTool } from "../test/tools.ts";
import { quorumVoters, replication, startScript } from "./kafka.ts";
import { createTopicsScript } from "./kafka-topics.ts";
import { databaseUrl, initScript, passwordVariable } from "./postgres.ts";

const scripts: Record<string, string> = {
  "postgres-init.sh": initScript(["catalog", "orders"]),
  "start-kafka-1.sh": startScript(1),
  "start-kafka-3.sh": startScript(3),
  "create-topics.sh": createTopicsScript(),
};

describe("generated scripts", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshmart-scripts-"));
  for (const [name, text] of Object.entries(scripts)) writeFileSync(join(dir, name), text);

  for (const name of Object.keys(scripts)) {
    it(`${name} parses (bash -n)`, () => {
      const result = spawnSync("bash", ["-n", join(dir, name)], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
    });
  }

  it("pass shellcheck", () => {
    const shellcheck = ensureTool("shellcheck");
    assert.ok(shellcheck.path, `shellcheck could not be had: ${shellcheck.reason}`);
    const result = runTool(shellcheck.path, Object.keys(scripts).map((n) => join(dir, n)));
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});

describe("postgres", () => {
  it("creates each role and database idempotently, with the password from its env var", () => {
    const script = initScript(["catalog", "orders"]);
    assert.match(script, /ensure_database catalog "\$CATALOG_DB_PASSWORD"/);
    assert.match(script, /ensure_database orders "\$ORDERS_DB_PASSWORD"/);
    assert.match(script, /WHERE NOT EXISTS \(SELECT FROM pg_roles/);
    assert.match(script, /WHERE NOT EXISTS \(SELECT FROM pg_database/);
    assert.equal(passwordVariable("order-history"), "ORDER_HISTORY_DB_PASSWORD");
  });

  it("builds DATABASE_URL with URL-encoded credentials", () => {
    assert.equal(databaseUrl("orders", "p@ss/word"), "postgres://orders:p%40ss%2Fword@postgres:5432/orders");
  });
});

describe("kafka", () => {
  it("replication follows the broker count", () => {
    assert.deepEqual(replication(1), { factor: 1, minInSync: 1 });
    assert.deepEqual(replication(3), { factor: 3, minInSync: 2 });
    assert.deepEqual(replication(5), { factor: 3, minInSync: 2 });
  });

  it("lists every broker as a KRaft voter by its stable DNS name", () => {
    assert.equal(
      quorumVoters("meshmart", 2),
      "0@kafka-0.kafka-headless.meshmart.svc.cluster.local:9093,1@kafka-1.kafka-headless.meshmart.svc.cluster.local:9093",
    );
  });

  it("starts KRaft with auto topic creation off and formats storage once", () => {
    const script = startScript(3);
    assert.match(script, /process\.roles=broker,controller/);
    assert.match(script, /auto\.create\.topics\.enable=false/);
    assert.match(script, /default\.replication\.factor=3/);
    assert.match(script, /kafka-storage\.sh format --ignore-formatted/);
    assert.match(script, /^exec \/opt\/kafka\/bin\/kafka-server-start\.sh/m);
  });
});
