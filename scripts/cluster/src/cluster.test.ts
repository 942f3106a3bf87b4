// Bringing a cluster up and down, on the API-server-only profile (no root
// needed): a second up changes nothing, a crashed cluster is refused until it
// is brought down, and down cleans up after a crash.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, describe, it } from "node:test";
import { isPortOpen } from "@meshmart/infra/processes";
import { AlreadyRunning, clusterDown, clusterState, clusterUp } from "./cluster.ts";
import { apiServerProfile } from "./test-cluster.ts";
import { isRecordAlive, readRecords } from "./supervised-process.ts";
import { clusterPaths } from "./cluster-profiles.ts";

const quiet = () => {};

describe("cluster up and down (API-server profile)", { timeout: 10 * 60_000 }, () => {
  after(() => clusterDown(apiServerProfile, { log: quiet }));

  it("comes up, and a second up says it runs and changes nothing", async () => {
    if ((await clusterState(apiServerProfile)).state !== "stopped") await clusterDown(apiServerProfile, { log: quiet });
    await clusterUp(apiServerProfile, { log: quiet, fakeNodes: 1, mergeKubeconfig: false });
    const before = await readRecords(clusterPaths(apiServerProfile).pids);
    await assert.rejects(clusterUp(apiServerProfile, { log: quiet, mergeKubeconfig: false }), (err) => err instanceof AlreadyRunning && /already running .*nothing changed/.test(err.message));
    assert.deepEqual(await readRecords(clusterPaths(apiServerProfile).pids), before);
    assert.ok(before.every(isRecordAlive));
  });

  it("after a crash (etcd and the API server killed) refuses to start over it, and down cleans up", async () => {
    const records = await readRecords(clusterPaths(apiServerProfile).pids);
    for (const record of records.filter((r) => r.name === "etcd" || r.name === "kube-apiserver")) process.kill(record.pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const state = await clusterState(apiServerProfile);
    assert.equal(state.state, "partial");
    await assert.rejects(clusterUp(apiServerProfile, { log: quiet, mergeKubeconfig: false }), /partly running .*make cluster-down/);
    const lines: string[] = [];
    await clusterDown(apiServerProfile, { log: (l) => lines.push(l) });
    assert.equal((await clusterState(apiServerProfile)).state, "stopped");
    for (const record of records) assert.ok(!isRecordAlive(record), `${record.name} (pid ${record.pid}) is stopped`);
    assert.ok(!existsSync(apiServerProfile.stateDir), "its state is removed");
    assert.ok(!(await isPortOpen(apiServerProfile.ports.apiserver)), "nothing listens on the API server's port");
    await clusterDown(apiServerProfile, { log: (l) => lines.push(l) });
    assert.match(lines.at(-1)!, /not running; nothing to remove/);
  });
});
