import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { repoRoot } from "../paths.ts";
import { serviceBundle } from "./service-bundles.ts";

test("a service's bundle is reused while its sources are unchanged, and points at the sources' own places", async () => {
  const main = await serviceBundle("inventory");
  assert.equal(await serviceBundle("inventory"), main, "the same tree gives the same build");
  const text = readFileSync(main, "utf8");

  // Every rewritten import.meta.url names a file that exists, relative to the bundle:
  // the platform's migrations and the service's own are found from it.
  const rewritten = [...text.matchAll(/new URL\("([^"]+\.ts)", import\.meta\.url\)/g)].map((m) => fileURLToPath(new URL(m[1]!, pathToFileURL(main))));
  assert.ok(rewritten.includes(path.join(repoRoot, "services/platform/src/database.ts")), "the platform's import.meta.url is rewritten");
  assert.ok(rewritten.includes(path.join(repoRoot, "services/inventory/src/index.ts")), "the service's import.meta.url is rewritten");
  for (const file of rewritten) assert.ok(existsSync(file), `${file} exists`);

  // Third-party packages stay imports of node_modules; the lazily loaded Kafka adapter stays lazy.
  assert.match(text, /^import .* from "pg";$/m);
  assert.doesNotMatch(text, /^import .* from "@platformatic\/kafka";$/m, "@platformatic/kafka is not loaded at start");
  const chunks = readdirSync(path.join(path.dirname(main), "chunks"));
  assert.ok(chunks.some((name) => name.startsWith("platformatic-event-bus-") && name.endsWith(".mjs")), chunks.join(", "));
});
