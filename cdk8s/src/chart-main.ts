// `npm run chart -w @meshmart/cdk8s` (make chart): regenerates charts/meshmart
// from the synth. `--check` only reports whether the committed chart is up to date.

import { parseArgs } from "node:util";
import { chartDir, readChartDir, renderChartFiles, writeChart } from "./helm-chart.ts";

const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
if (values.check) {
  const expected = renderChartFiles();
  const actual = readChartDir();
  const stale = [...new Set([...expected.keys(), ...actual.keys()])].filter((f) => expected.get(f) !== actual.get(f));
  if (stale.length > 0) {
    console.error(`chart: ${stale.length} files of ${chartDir} differ from the synth (run \`make chart\`):\n  ${stale.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`chart: ${chartDir} is up to date (${expected.size} files)`);
} else {
  const files = writeChart();
  console.log(`chart: wrote ${files.length} files to ${chartDir}`);
}
