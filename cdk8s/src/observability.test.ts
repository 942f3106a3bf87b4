// What the synth carries for observability: the Jaeger (on by default, off by
// setting), every service's OTLP endpoint and sampler, the PrometheusRule
// with the rules of observability/, an optional PodMonitor, the dashboards
// as ConfigMaps for Grafana's sidecar; and that the shape checks of the
// prometheus-operator kinds catch a broken object.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dashboards } from "@meshmart/observability/dashboards";
import { ruleGroups } from "@meshmart/observability/prometheus-rules";
import { serviceNames } from "@meshmart/topology";
import { testSettings } from "../test/test-settings.ts";
import { jaegerName } from "./jaeger.ts";
import { synthesize, type Manifest } from "./synth.ts";
import { validateManifest } from "./validate-manifest.ts";

const configOf = (manifests: Manifest[], service: string) =>
  (manifests.find((m) => m.kind === "ConfigMap" && m.metadata.name === `${service}-config`) as unknown as { data: Record<string, string> }).data;

describe("observability in the synth", () => {
  const defaults = synthesize(testSettings());

  it("runs a Jaeger without a sidecar, and every service exports its spans to it", () => {
    const jaeger = defaults.find((m) => m.kind === "Deployment" && m.metadata.name === jaegerName) as unknown as {
      spec: { template: { metadata: { annotations: Record<string, string> }; spec: { containers: Array<{ image: string }> } } };
    };
    assert.ok(jaeger);
    assert.match(jaeger.spec.template.spec.containers[0]!.image, /^jaegertracing\/jaeger:2\./);
    assert.equal(jaeger.spec.template.metadata.annotations["sidecar.istio.io/inject"], "false");
    const config = defaults.find((m) => m.kind === "ConfigMap" && m.metadata.name === "jaeger-config") as unknown as { data: { "config.yaml": string } };
    assert.match(config.data["config.yaml"], /enable_tracing: false/);
    for (const name of serviceNames) {
      assert.equal(configOf(defaults, name).OTEL_EXPORTER_OTLP_ENDPOINT, "http://jaeger.meshmart.svc.cluster.local:4318", name);
      assert.equal(configOf(defaults, name).OTEL_TRACES_SAMPLER, "parentbased_always_on", name);
    }
  });

  it("without the Jaeger: no Jaeger objects and no export, unless an endpoint of your own is set", () => {
    const off = synthesize(testSettings({ observability: { jaeger: false } }));
    assert.equal(off.filter((m) => m.metadata.name === jaegerName || m.metadata.name === "allow-tracing").length, 0);
    assert.equal(configOf(off, "orders").OTEL_EXPORTER_OTLP_ENDPOINT, undefined);
    const own = synthesize(testSettings({ observability: { jaeger: false, otlpEndpoint: "http://collector.monitoring:4318", tracesSampler: "parentbased_traceidratio", tracesSamplerArg: 0.1 } }));
    assert.equal(configOf(own, "orders").OTEL_EXPORTER_OTLP_ENDPOINT, "http://collector.monitoring:4318");
    assert.equal(configOf(own, "orders").OTEL_TRACES_SAMPLER_ARG, "0.1");
  });

  it("carries the SLO rules as a PrometheusRule, the dashboards as ConfigMaps for Grafana's sidecar, and a PodMonitor only when asked", () => {
    const rule = defaults.find((m) => m.kind === "PrometheusRule") as unknown as { apiVersion: string; spec: { groups: unknown } };
    assert.equal(rule.apiVersion, "monitoring.coreos.com/v1");
    assert.deepEqual(rule.spec.groups, JSON.parse(JSON.stringify(ruleGroups())));
    const boards = defaults.filter((m) => m.kind === "ConfigMap" && m.metadata.labels?.grafana_dashboard === "1");
    assert.equal(boards.length, dashboards().length);
    assert.equal(defaults.filter((m) => m.kind === "PodMonitor").length, 0);
    const monitored = synthesize(testSettings({ observability: { podMonitor: true } }));
    assert.equal(monitored.filter((m) => m.kind === "PodMonitor").length, 1);
    const bare = synthesize(testSettings({ observability: { prometheusRules: false, dashboards: false } }));
    assert.equal(bare.filter((m) => m.kind === "PrometheusRule" || m.metadata.labels?.grafana_dashboard).length, 0);
  });

  it("refuses a PrometheusRule or PodMonitor of the wrong shape", () => {
    const rule = (groups: unknown) => ({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "r" }, spec: { groups } });
    assert.throws(() => validateManifest(rule([])), /non-empty/);
    assert.throws(() => validateManifest(rule([{ name: "g", rules: [{ expr: "up" }] }])), /exactly one of record and alert/);
    assert.throws(() => validateManifest(rule([{ name: "g", rules: [{ alert: "A", expr: "up", labels: { n: 1 } }] }])), /strings to strings/);
    validateManifest(rule([{ name: "g", rules: [{ alert: "A", expr: "up == 0", labels: { severity: "page" } }] }]));
    const monitor = { apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name: "m" }, spec: { selector: {}, podMetricsEndpoints: [{ portNumber: 0 }] } };
    assert.throws(() => validateManifest(monitor), /portNumber/);
  });
});
