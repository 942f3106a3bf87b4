// `npm run generate -w @meshmart/observability`: writes the rules file for
// Prometheus and the dashboards users can import into Grafana
// (services/observability/prometheus/, services/observability/dashboards/). `--check` exits 1
// when a committed file differs from what the code generates.
import { readFileSync } from "node:fs";
import { generatedFiles, writeGenerated } from "./generated-files.ts";

if (process.argv.includes("--check")) {
  const stale = generatedFiles().filter((f) => readFileSync(f.path, "utf8").toString() !== f.text);
  if (stale.length > 0) {
    console.error(`observability: out of date (run npm run generate -w @meshmart/observability): ${stale.map((f) => f.path).join(", ")}`);
    process.exit(1);
  }
  console.log("observability: generated files are up to date");
} else {
  for (const file of writeGenerated()) console.log(`observability: wrote ${file}`);
}
