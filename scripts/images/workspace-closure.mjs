/* global process, console */
// Prints the workspace directories an image needs: the service's own and every
// @meshmart workspace it depends on, transitively, through the dependencies its
// package.json declares (one per line). The Dockerfile copies only these, so an
// image holds no other service's source.
//   node scripts/images/workspace-closure.mjs services/catalog
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");
const read = (dir) => JSON.parse(readFileSync(path.join(root, dir, "package.json"), "utf8"));
const byName = new Map(read(".").workspaces.map((dir) => [read(dir).name, dir]));
const start = process.argv[2];
if (!start || ![...byName.values()].includes(start)) {
  console.error(`usage: workspace-closure.mjs <workspace dir> (one of: ${[...byName.values()].join(", ")})`);
  process.exit(2);
}
const closure = new Set();
const visit = (dir) => {
  if (closure.has(dir)) return;
  closure.add(dir);
  for (const dep of Object.keys(read(dir).dependencies ?? {})) if (byName.has(dep)) visit(byName.get(dep));
};
visit(start);
console.log([...closure].sort().join("\n"));
