// The files the deploy uses agree with each other and with the policy: the
// kind port mapping, the ingress gateway's Helm values, the Istio release
// (that of the istioctl whose CRDs the API-server checks apply), and the
// Dockerfile's promises.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { defaultMeshOptions } from "@meshmart/mesh/mesh-options";
import { repoRoot } from "./tools.ts";

const read = (path: string): string => readFileSync(join(repoRoot, path), "utf8");
const settingsSh = read("scripts/lib/settings.sh");
const shellDefault = (name: string): string => {
  const match = new RegExp(`^${name}="\\$\\{${name}:-([^}]*)\\}"`, "m").exec(settingsSh);
  assert.ok(match, `${name} has a default in scripts/lib/settings.sh`);
  return match[1]!;
};

interface GatewayValues {
  labels: Record<string, string>;
  serviceAccount: { name: string };
  service: { type: string; ports: { name: string; port: number; nodePort?: number }[] };
}

describe("kind and the Istio ingress gateway", () => {
  const kind = parse(read("scripts/kind/kind-config.yaml")) as {
    nodes: { extraPortMappings?: { containerPort: number; hostPort: number }[] }[];
  };
  const gateway = parse(read("charts/istio/gateway-values.yaml")) as GatewayValues;
  const mapping = kind.nodes[0]?.extraPortMappings?.[0];

  it("kind maps the gateway's NodePort for the Gateway's port to the ingress host port the scripts print", () => {
    assert.equal(gateway.service.type, "NodePort");
    const http = gateway.service.ports.find((p) => p.port === defaultMeshOptions.ingress.port);
    assert.ok(http?.nodePort, "the Gateway's port has a fixed nodePort");
    assert.equal(mapping?.containerPort, http.nodePort);
    assert.equal(String(mapping?.hostPort), shellDefault("INGRESS_HOST_PORT"));
  });

  it("the gateway pods carry the labels and service account the mesh policy names", () => {
    for (const [k, v] of Object.entries(defaultMeshOptions.ingress.selector)) assert.equal(gateway.labels[k], v);
    assert.equal(gateway.serviceAccount.name, defaultMeshOptions.ingress.serviceAccount);
    assert.equal(shellDefault("INGRESS_NAMESPACE"), defaultMeshOptions.ingress.namespace);
  });

  it("istiod injects native sidecars (Jobs complete; the proxy outlives the app on shutdown)", () => {
    const istiod = parse(read("charts/istio/istiod-values.yaml")) as { pilot: { env: Record<string, string> } };
    assert.equal(istiod.pilot.env.ENABLE_NATIVE_SIDECARS, "true");
  });

  it("kind gets the Istio release whose CRDs the API-server checks use: istioctl's (scripts/tools/versions.sh)", () => {
    const versions = read("scripts/tools/versions.sh");
    const label = /^: "\$\{ISTIO_LABEL:=([^}]+)\}"/m.exec(versions)?.[1];
    assert.ok(label, "ISTIO_LABEL is pinned in scripts/tools/versions.sh");
    assert.equal(shellDefault("ISTIO_VERSION"), "$ISTIO_LABEL", "settings.sh installs the release istioctl is built from");
    assert.match(label, /^1\.\d+\.\d+$/);
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const dockerignore = read(".dockerignore");

  it("builds on a pinned Node 24 slim image, multi-stage, selected by ARG SERVICE", () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24\.\d+\.\d+-slim$/m);
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 3);
    assert.match(dockerfile, /^ARG SERVICE$/m);
  });

  it("installs production dependencies only and runs the service's bundle as a non-root user with node as PID 1", () => {
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /bundle-service\.mjs \/app "services\/\$\{SERVICE\}" "services\/\$\{SERVICE\}\/dist\/image"/);
    assert.match(dockerfile, /exec node --enable-source-maps \\"services\/\$\{SERVICE\}\/dist\/image\/main\.mjs\\"/);
    assert.doesNotMatch(dockerfile, /--import tsx/, "no TypeScript loader at run time");
    assert.doesNotMatch(dockerfile, /^HEALTHCHECK/m);
  });

  it("keeps node_modules, local state and git out of the build context, but every workspace manifest in", () => {
    for (const pattern of ["**/node_modules", ".local", ".git", "**/dist"]) assert.ok(dockerignore.split("\n").includes(pattern), pattern);
    assert.match(dockerignore, /^!cdk8s\/package\.json$/m);
    assert.match(dockerignore, /^!mesh\/package\.json$/m);
    assert.match(dockerignore, /^!scripts\/infra\/src\/stack\/bundle-service\.mjs$/m);
  });
});
