// `npm run synth` (make synth): writes the platform's manifests to cdk8s/dist/.
// Settings come from the environment: MESHMART_NAMESPACE, IMAGE_REPOSITORY,
// IMAGE_TAG, MESHMART_SECRET_SEED, KAFKA_REPLICAS; `--out <dir>` moves the output.

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { settingsFromEnv } from "./platform-settings.ts";
import { synthesize, writeManifests } from "./synth.ts";
import { validationErrors } from "./validate-manifest.ts";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = values.out ? resolve(values.out) : join(here, "..", "dist");

const settings = settingsFromEnv();
const manifests = synthesize(settings);
const errors = validationErrors(manifests);
if (errors.length > 0) {
  console.error(`synth: ${errors.length} objects do not validate against their schemas:\n  ${errors.join("\n  ")}`);
  process.exit(1);
}
const file = writeManifests(out, manifests);
const kinds = new Map<string, number>();
for (const m of manifests) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
console.log(`synth: ${manifests.length} objects for namespace ${settings.namespace} (images ${settings.imageRepository}/<service>:${settings.imageTag}) -> ${file}`);
console.log(`synth: ${[...kinds].map(([kind, n]) => `${kind} ${n}`).join(", ")}`);
