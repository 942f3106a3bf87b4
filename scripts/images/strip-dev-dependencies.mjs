/* global process */
// Drops devDependencies from the workspace manifests under a directory (not
// the root's). npm counts the dependencies of a workspace reached through
// another workspace's devDependencies as production ones, so without this
// `npm ci --omit=dev` would put test tooling (embedded PostgreSQL, via
// platform's tests) into every image. The lockfile stays in sync: npm ci
// accepts manifests that declare less than it records.
//   node scripts/images/strip-dev-dependencies.mjs /manifests
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: strip-dev-dependencies.mjs <directory of manifests>\n");
  process.exit(2);
}
for (const entry of readdirSync(dir, { recursive: true })) {
  if (path.basename(entry) !== "package.json" || path.dirname(entry) === ".") continue;
  const file = path.join(dir, entry);
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  if (!manifest.devDependencies) continue;
  delete manifest.devDependencies;
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}
