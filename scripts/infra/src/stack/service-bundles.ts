// The local stack runs each service from a pre-built bundle, as its image
// does (bundle-service.mjs), not through a TypeScript loader.
// Each build lands in services/<name>/dist/<content hash>/, written to a
// temporary directory and renamed into place, so that stacks started at the
// same time by parallel test files never see a half-written bundle, and an
// unchanged tree reuses the build it already has.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ServiceName } from "@meshmart/topology";
import { bundleService } from "./bundle-service.mjs";
import { repoRoot } from "../paths.ts";

/** Builds (or reuses) the bundle of one service; returns the path of its main.mjs. */
export async function serviceBundle(name: ServiceName): Promise<string> {
  const distDir = path.join(repoRoot, "services", name, "dist");
  // Built for a directory at the depth of the final one: the bundle's paths to
  // the sources (migrations, source maps) are relative.
  const buildDir = path.join(distDir, "build");
  const files = await bundleService({ root: repoRoot, serviceDir: `services/${name}`, outDir: buildDir, write: false });
  const hash = createHash("sha256");
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) hash.update(path.relative(buildDir, file.path)).update(file.contents);
  const finalDir = path.join(distDir, hash.digest("hex").slice(0, 12));
  const main = path.join(finalDir, "main.mjs");
  if (existsSync(main)) return main;

  const tmpDir = path.join(distDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  for (const file of files) {
    const target = path.join(tmpDir, path.relative(buildDir, file.path));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.contents);
  }
  try {
    await rename(tmpDir, finalDir);
  } catch (err) {
    // Another stack renamed the same build into place first.
    await rm(tmpDir, { recursive: true, force: true });
    if (!existsSync(main)) throw err;
  }
  await pruneOldBuilds(distDir, finalDir);
  return main;
}

// Builds of earlier trees, a day old: a stack running longer than that keeps
// what it loaded at start (only the lazily loaded chunks would be missing).
async function pruneOldBuilds(distDir: string, keep: string): Promise<void> {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const entry of await readdir(distDir)) {
    const dir = path.join(distDir, entry);
    if (dir === keep) continue;
    const { mtimeMs } = await stat(dir).catch(() => ({ mtimeMs: Date.now() }));
    if (mtimeMs < dayAgo) await rm(dir, { recursive: true, force: true });
  }
}
