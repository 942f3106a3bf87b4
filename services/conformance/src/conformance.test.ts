// The Connect conformance suite (connectconformance from the Go module proxy,
// scripts/tools/ensure-tool.sh) in server mode against src/server-main.ts:
// every case the features in conformance-server.yaml allow, over Connect,
// gRPC and gRPC-Web, HTTP/1.1 and h2c, JSON and binary, unary and every
// stream type. Every case must pass but those in known-failing.txt, which
// must fail; the count is the one the README states.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { repoRoot } from "@meshmart/infra/paths";
import { ensureTools } from "@meshmart/infra/tools";

// Built once per machine by ensure-tool.sh; a machine that cannot build it fails here, not skips.
const tools = await ensureTools(["connectconformance"]);
const here = fileURLToPath(new URL("..", import.meta.url));

interface RunResult {
  code: number | null;
  output: string;
}

function runSuite(): Promise<RunResult> {
  const args = [
    "--mode",
    "server",
    "--conf",
    join(here, "conformance-server.yaml"),
    "--known-failing",
    `@${join(here, "known-failing.txt")}`,
    // Two servers and four RPCs at a time: enough on 2 cores, and the deadline cases keep their margins.
    "--max-servers",
    "2",
    "--parallel",
    "4",
    "--",
    process.execPath,
    "--import",
    "tsx",
    join(here, "src", "server-main.ts"),
  ];
  return new Promise((resolve) => {
    execFile(tools.connectconformance, args, { cwd: repoRoot, timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: "fatal" } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe("Connect conformance (server mode)", () => {
  it("passes every case but the known failures, which fail; the README states the count", async () => {
    const { code, output } = await runSuite();
    // The runner's own lines stay out of the test output (its "N passed, M failed" would read as this suite's summary).
    const total = Number(/^Total cases: (\d+)$/m.exec(output)?.[1]);
    const [, passed, failed] = (/^(\d+) passed, (\d+) failed$/m.exec(output) ?? []).map(Number);
    const knownFailures = Number(/Another (\d+) failed as expected/.exec(output)?.[1] ?? 0);
    const failures = output.split("\n").filter((line) => line.startsWith("FAILED: ") || line.startsWith("\t")).slice(0, 40).join("\n");
    assert.equal(code, 0, `connectconformance exited ${code}:\n${failures || output.slice(-4_000)}`);
    assert.equal(failed, 0, failures);
    assert.ok(total > 2_000, `the suite ran ${total} cases`);
    assert.equal(passed! + knownFailures, total);

    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const stated = /Connect conformance: \*\*(\d+) of (\d+)\*\* cases pass/.exec(readme);
    assert.ok(stated, "the README states the conformance result");
    assert.deepEqual([Number(stated[1]), Number(stated[2])], [passed, total], "the README's count is this run's");
  });
});
