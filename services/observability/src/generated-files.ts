// The files generated from this workspace's code, kept in the repository so
// that users can read and import them without running anything: the
// Prometheus rules file and one JSON file per Grafana dashboard.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dashboards } from "./dashboards.ts";
import { rulesFile } from "./prometheus-rules.ts";

export const observabilityRoot = path.resolve(import.meta.dirname, "..");
export const rulesFilePath = path.join(observabilityRoot, "prometheus", "meshmart.rules.yaml");
export const rulesTestPath = path.join(observabilityRoot, "prometheus", "meshmart.rules.test.yaml");
export const dashboardsDir = path.join(observabilityRoot, "dashboards");

export function generatedFiles(): Array<{ path: string; text: string }> {
  return [
    { path: rulesFilePath, text: rulesFile() },
    ...dashboards().map((d) => ({ path: path.join(dashboardsDir, d.file), text: `${JSON.stringify(d.dashboard, null, 2)}\n` })),
  ];
}

export function writeGenerated(): string[] {
  mkdirSync(dashboardsDir, { recursive: true });
  for (const entry of readdirSync(dashboardsDir)) if (entry.endsWith(".json")) rmSync(path.join(dashboardsDir, entry));
  const files = generatedFiles();
  for (const file of files) {
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.text);
  }
  return files.map((f) => path.relative(process.cwd(), f.path));
}
