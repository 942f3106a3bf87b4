// The Helm chart renders the same objects as the synth: checked without helm
// (the committed files are what the generator writes, and rendering their
// expressions with the default values gives the default synth), and with
// `helm lint` + `helm template` when helm can be had (scripts/tools/ensure-helm.sh
// builds it from the Go module proxy).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { assertSameManifests, synthOutput, type Manifest } from "../test/manifests.ts";
import { ensureTool, runTool } from "../test/tools.ts";
import { chartDir, defaultChartValues, readChartDir, renderChartFiles, renderTemplatesOffline } from "./helm-chart.ts";
import { sortManifests } from "./synth.ts";
import { validationErrors } from "./validate-manifest.ts";

const managedBy = "app.kubernetes.io/managed-by";

/** The one intended difference: Helm-rendered objects say managed-by Helm. */
function asManagedByCdk8s(manifests: readonly Manifest[]): Manifest[] {
  const rewrite = (labels?: Record<string, string>): void => {
    if (labels?.[managedBy] === "Helm") labels[managedBy] = "cdk8s";
  };
  return sortManifests(
    manifests.map((m) => {
      const copy = structuredClone(m);
      rewrite(copy.metadata.labels);
      const template = (copy.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template;
      rewrite(template?.metadata?.labels);
      return copy;
    }),
  );
}

describe("charts/meshmart", () => {
  it("is up to date with the synth (run `make chart` when this fails)", () => {
    const expected = renderChartFiles();
    const actual = readChartDir();
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [path, content] of expected) assert.equal(actual.get(path), content, `${path} differs from the generator`);
  });

  it("renders (offline) to exactly the synth's objects with its default values", () => {
    const rendered = renderTemplatesOffline(readChartDir(), defaultChartValues);
    assertSameManifests(asManagedByCdk8s(rendered), synthOutput(), "offline render vs synth");
  });

  it("renders (offline) other values consistently", () => {
    const values = { ...defaultChartValues, namespace: "shop", image: { repository: "reg/mm", tag: "1.0" }, createNamespace: false };
    const rendered = renderTemplatesOffline(readChartDir(), values);
    assert.deepEqual(validationErrors(rendered), []);
    assert.ok(!rendered.some((m) => m.kind === "Namespace"));
    assert.ok(rendered.filter((m) => m.kind !== "RequestAuthentication").every((m) => m.metadata.namespace === "shop"));
    assert.ok(JSON.stringify(rendered).includes('"reg/mm/orders:1.0"'));
    assert.ok(!JSON.stringify(rendered).includes("meshmart.svc.cluster.local"));
  });

  describe("with helm", () => {
    const helm = ensureTool("helm");

    it("passes helm lint", (t) => {
      if (!helm.path) return t.skip(helm.reason);
      const result = runTool(helm.path, ["lint", chartDir]);
      assert.equal(result.status, 0, result.stdout + result.stderr);
    });

    it("helm template renders exactly the synth's objects", (t) => {
      if (!helm.path) return t.skip(helm.reason);
      const result = runTool(helm.path, ["template", "meshmart", chartDir]);
      assert.equal(result.status, 0, result.stderr);
      const rendered = parseAllDocuments(result.stdout)
        .map((d) => d.toJSON() as Manifest | null)
        .filter((m): m is Manifest => m !== null);
      assertSameManifests(asManagedByCdk8s(rendered), synthOutput(), "helm template vs synth");
    });

    it("helm template honours namespace, image and createNamespace values", (t) => {
      if (!helm.path) return t.skip(helm.reason);
      const result = runTool(helm.path, [
        "template",
        "shop",
        chartDir,
        "--set",
        "namespace=shop",
        "--set",
        "image.repository=reg/mm",
        "--set",
        "image.tag=1.0",
        "--set",
        "createNamespace=false",
      ]);
      assert.equal(result.status, 0, result.stderr);
      const rendered = parseAllDocuments(result.stdout)
        .map((d) => d.toJSON() as Manifest | null)
        .filter((m): m is Manifest => m !== null);
      assert.deepEqual(validationErrors(rendered), []);
      const offline = renderTemplatesOffline(readChartDir(), {
        ...defaultChartValues,
        namespace: "shop",
        image: { repository: "reg/mm", tag: "1.0" },
        createNamespace: false,
      });
      assertSameManifests(rendered, offline, "helm template vs offline render (custom values)");
    });

    it("rejects values outside its schema", (t) => {
      if (!helm.path) return t.skip(helm.reason);
      const result = runTool(helm.path, ["template", "x", chartDir, "--set", "imagee.tag=1"]);
      assert.notEqual(result.status, 0);
    });
  });
});
