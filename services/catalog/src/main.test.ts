// catalog's entry point is wired: main.ts starts catalog (its own setting is
// read) and fails start-up with the platform's one line. Shutdown and config
// handling themselves are the platform's (services/platform/src/service-process.test.ts).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

describe("catalog main.ts", () => {
  it("starts catalog, reading catalog's own settings", async () => {
    const main = fileURLToPath(new URL("./main.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, PORT: "0", DATABASE_URL: "postgres://127.0.0.1:1/none", CATALOG_SEED: "maybe" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 1);
    assert.equal(output.trim(), 'catalog: config: CATALOG_SEED must be true or false (got "maybe")');
  });
});
