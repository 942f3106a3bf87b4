import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { ensuredTools, ensureToolScript } from "./tools.ts";

describe("the tools TypeScript can ask ensure-tool.sh for", () => {
  it("are exactly the ones `ensure-tool.sh --list` pins (grpc_health_probe is the upstream name of grpc-health-probe)", () => {
    const listed = spawnSync("bash", [ensureToolScript, "--list"], { encoding: "utf8" });
    assert.equal(listed.status, 0, listed.stderr);
    const names = listed.stdout
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/)[0]!)
      .filter((name) => name !== "grpc_health_probe");
    assert.deepEqual([...names].sort(), [...ensuredTools].sort());
  });
});
