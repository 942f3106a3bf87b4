// `make load-job ARGS="--rate 50 --duration 60s"`: the load generator's Job
// (load-generator-job.ts) for the platform's namespace and images, written to
// cdk8s/dist/load-job.yaml (not part of `make synth`).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { App, Chart } from "cdk8s";
import { LoadGeneratorJob } from "./load-generator-job.ts";
import { repoRoot } from "./repo-root.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "20" },
    duration: { type: "string", default: "60s" },
    arrival: { type: "string", default: "constant" },
    namespace: { type: "string", default: process.env.MESHMART_NAMESPACE ?? "meshmart" },
  },
});
const rate = Number(values.rate);
if (!(rate > 0)) throw new Error(`load-job: --rate must be a positive number (got ${values.rate})`);
if (values.arrival !== "constant" && values.arrival !== "poisson") throw new Error(`load-job: --arrival must be constant or poisson (got ${values.arrival})`);
if (!/^\d+(ms|s|m|h)?$/.test(values.duration)) throw new Error(`load-job: --duration must look like 60s or 2m (got ${values.duration})`);
const repository = process.env.IMAGE_REPOSITORY ?? "meshmart";
const tag = process.env.IMAGE_TAG ?? "dev";
const app = new App({ outdir: path.join(repoRoot, "cdk8s", "dist"), outputFileExtension: ".yaml" });
const chart = new Chart(app, "load-job", { namespace: values.namespace, disableResourceNameHashes: true });
new LoadGeneratorJob(chart, "load", { namespace: values.namespace, image: `${repository}/e2e:${tag}`, imageTag: tag, rate, duration: values.duration, arrival: values.arrival });
mkdirSync(app.outdir, { recursive: true });
const file = path.join(app.outdir, "load-job.yaml");
writeFileSync(file, app.synthYaml());
console.log(`wrote ${file}: kubectl apply -f it (see load-generator-job.ts for the image and the Secret it needs)`);
