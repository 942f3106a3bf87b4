// Where local infrastructure keeps its state: everything lives under the
// git-ignored .local/ at the repository root, one folder per profile, so that
// `make dev` (profile dev) and the tests (profile test) never share data.
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
export const localRoot = path.join(repoRoot, ".local");

/** Validated profile name: it becomes a directory name, so keep it boring. */
export function profileDir(profile: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,39}$/i.test(profile)) {
    throw new Error(`invalid profile "${profile}": use letters, digits, "-" and "_" (e.g. dev, test)`);
  }
  return path.join(localRoot, profile);
}

/** Repository-relative form of a path, for messages. */
export function display(p: string): string {
  const rel = path.relative(repoRoot, p);
  return rel.startsWith("..") ? p : rel;
}
