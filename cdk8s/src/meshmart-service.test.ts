import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { App, Chart } from "cdk8s";
import { ImagePullPolicy } from "cdk8s-plus-27";
import { meshOptions } from "@meshmart/mesh/mesh-options";
import { services } from "@meshmart/topology";
import { calleeUrls, MeshmartService } from "./meshmart-service.ts";
import { defaultServiceDeploymentSettings } from "./service-settings.ts";
import { validationErrors } from "./validate-manifest.ts";
import { testSigningKey } from "../test/test-settings.ts";

interface Obj {
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

function synthOne(props: Partial<ConstructorParameters<typeof MeshmartService>[2]> = {}): Obj[] {
  const app = new App();
  const chart = new Chart(app, "test", { namespace: "meshmart" });
  new MeshmartService(chart, "orders", {
    service: services.orders,
    namespace: "meshmart",
    image: "example/orders:1",
    imagePullPolicy: ImagePullPolicy.IF_NOT_PRESENT,
    version: "1",
    managedBy: "test",
    settings: defaultServiceDeploymentSettings,
    mesh: meshOptions({ jwt: { jwks: testSigningKey.jwks } }),
    ...props,
  });
  return JSON.parse(JSON.stringify(chart.toJson())) as Obj[];
}

describe("MeshmartService", () => {
  it("emits the full set of objects for one service, all valid", () => {
    const objects = synthOne();
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      "AuthorizationPolicy",
      "ConfigMap",
      "Deployment",
      "DestinationRule",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "Service",
      "ServiceAccount",
      "VirtualService",
    ]);
    assert.deepEqual(validationErrors(objects as never), []);
    for (const o of objects) assert.equal(o.metadata.labels["app.kubernetes.io/name"], "orders");
  });

  it("declares the port HTTP/2 through the escape hatch", () => {
    const service = synthOne().find((o) => o.kind === "Service")!;
    assert.deepEqual(service.spec!.ports, [{ appProtocol: "http2", name: "http2", port: 8080, targetPort: 8080 }]);
    assert.deepEqual(service.spec!.selector, { "app.kubernetes.io/instance": "meshmart-orders", "app.kubernetes.io/name": "orders" });
  });

  it("merges extra environment over its defaults", () => {
    const config = synthOne({ env: { LOG_LEVEL: "debug", EXTRA: "1" } }).find((o) => o.kind === "ConfigMap")!;
    assert.equal(config.data!.LOG_LEVEL, "debug");
    assert.equal(config.data!.EXTRA, "1");
    assert.equal(config.data!.CATALOG_URL, "http://catalog:8080");
    assert.equal(config.data!.SERVICE_MESH, "istio", "in the cluster the mesh applies the call policy, not the clients");
  });

  it("derives callee URLs from the topology's calls", () => {
    assert.deepEqual(
      calleeUrls(services.gateway),
      Object.fromEntries([...services.gateway.calls].sort().map((callee) => [`${callee.toUpperCase()}_URL`, `http://${callee}:8080`])),
    );
    assert.equal(calleeUrls(services.gateway).ORDERS_URL, "http://orders:8080");
    assert.deepEqual(calleeUrls(services.payments), {});
  });
});
