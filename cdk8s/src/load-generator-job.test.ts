import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { App, Chart } from "cdk8s";
import { synthOutput } from "../test/manifests.ts";
import { LoadGeneratorJob, loadGeneratorKeySecret, loadGeneratorName } from "./load-generator-job.ts";
import { validationErrors } from "./validate-manifest.ts";

function synthJob(): Array<{ kind: string; metadata: { name: string }; spec?: Record<string, unknown> }> {
  const app = new App();
  const chart = new Chart(app, "load", { namespace: "meshmart", disableResourceNameHashes: true });
  new LoadGeneratorJob(chart, "load", { namespace: "meshmart", image: "registry.example/meshmart/e2e:1.2.3", imageTag: "1.2.3", rate: 40, duration: "90s", arrival: "poisson" });
  return chart.toJson() as never;
}

describe("LoadGeneratorJob", () => {
  it("is not part of the platform's synth (off by default)", () => {
    const platform = synthOutput();
    assert.ok(platform.length > 0);
    assert.deepEqual(platform.filter((m) => m.metadata?.name?.startsWith(loadGeneratorName)), []);
  });

  it("synthesizes a Job, its service account and the policies that let it reach the gateway, all schema-valid", () => {
    const manifests = synthJob();
    assert.deepEqual(manifests.map((m) => m.kind).sort(), ["AuthorizationPolicy", "Job", "NetworkPolicy", "NetworkPolicy", "ServiceAccount"]);
    assert.deepEqual(validationErrors(manifests as never), []);
  });

  it("runs the load CLI with the given rate, duration and arrival, signing with the mounted key", () => {
    const job = synthJob().find((m) => m.kind === "Job")!;
    const pod = (job.spec as { template: { spec: { containers: Array<{ args: string[]; image: string; env: Array<{ name: string; value: string }> }>; volumes: Array<{ secret?: { secretName: string } }>; restartPolicy: string } } }).template.spec;
    const [container] = pod.containers;
    assert.equal(container!.image, "registry.example/meshmart/e2e:1.2.3");
    assert.deepEqual(container!.args.slice(0, 8), ["--rate", "40", "--duration", "90s", "--arrival", "poisson", "--gateway", "http://gateway:8080"]);
    assert.ok(container!.env.some((e) => e.name === "MESHMART_KEY_DIR" && e.value === "/keys"));
    assert.ok(pod.volumes.some((v) => v.secret?.secretName === loadGeneratorKeySecret));
    assert.equal(pod.restartPolicy, "Never");
  });
});
