// Summarises a V8 .cpuprofile (node --cpu-prof): self time by package (or
// project file) and the top functions, so that a profile can be read in a
// terminal and quoted in docs/performance.md.
//
//   npx tsx scripts/bench/profile-summary.ts <file.cpuprofile> [--top 25]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarize(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const where = (url: string) => {
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (nm) return nm[1]!;
    if (url.startsWith("node:")) return url;
    const project = /\/(services|scripts)\/(.+)$/.exec(url);
    return project ? `${project[1]}/${project[2]}` : url || "(native/gc/idle)";
  };
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const pkg = node.callFrame.functionName === "(idle)" ? "(idle)" : node.callFrame.functionName === "(garbage collector)" ? "(gc)" : where(node.callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const fn = `${node.callFrame.functionName || "(anonymous)"} ${where(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const lines = [`total ${(total / 1e6).toFixed(2)} s sampled`, "self time by package / file:"];
  for (const [pkg, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${pkg}`);
  lines.push("top functions (self):");
  for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${fn}`);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" } } });
  for (const file of positionals) console.log(`${file}\n${summarize(JSON.parse(readFileSync(file, "utf8")) as Profile, Number(values.top))}\n`);
}
