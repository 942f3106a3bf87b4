// The deploy scripts: shellcheck passes on every script in scripts/, and
// `scripts/deploy.sh --dry-run` prints the whole plan, in order, on a machine
// with none of the prerequisites (docker, kind, kubectl, helm are hidden from
// PATH here).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync, symlinkSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, it } from "node:test";
import { serviceNames } from "@meshmart/topology";
import { ensureTool, repoRoot, runTool } from "./tools.ts";

const prerequisites = ["docker", "kind", "kubectl", "helm"];

/** Every *.sh under scripts/. */
function shellScripts(dir = join(repoRoot, "scripts")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return shellScripts(path);
    return entry.name.endsWith(".sh") ? [path] : [];
  });
}

/** A PATH holding every command of this machine's PATH except the prerequisites. */
function pathWithoutPrerequisites(): string {
  const dir = mkdtempSync(join(tmpdir(), "meshmart-noprereq-"));
  for (const source of (process.env.PATH ?? "").split(delimiter)) {
    if (!source || !existsSync(source)) continue;
    for (const name of readdirSync(source)) {
      if (prerequisites.includes(name) || existsSync(join(dir, name))) continue;
      try {
        if (statSync(join(source, name)).isFile()) symlinkSync(join(source, name), join(dir, name));
      } catch {
        // dangling links and unreadable entries are not commands
      }
    }
  }
  return dir;
}

function runScript(script: string, args: string[], path: string): { status: number | null; out: string } {
  const result = spawnSync("bash", [join(repoRoot, "scripts", script), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    // The plan as it would run with docker (this machine's podman would otherwise be chosen).
    env: { ...process.env, PATH: path, MESHMART_LOCAL_BIN: join(tmpdir(), "meshmart-no-local-bin"), DRY_RUN: "", IMAGE_BUILDER: "docker", NODE_IMAGE: "node:24.21.0-slim" },
    timeout: 120_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

/** Asserts that each pattern occurs in `text` after the previous one; returns their positions. */
function assertInOrder(text: string, patterns: (string | RegExp)[]): number[] {
  const positions: number[] = [];
  let from = 0;
  for (const pattern of patterns) {
    const rest = text.slice(from);
    const index = typeof pattern === "string" ? rest.indexOf(pattern) : (rest.match(pattern)?.index ?? -1);
    assert.ok(index >= 0, `expected ${String(pattern)} after position ${from} in:\n${text}`);
    from += index + 1;
    positions.push(from - 1);
  }
  return positions;
}

describe("shell scripts", () => {
  const scripts = shellScripts();

  it("are all found (deploy, undeploy, port-forward, images, lib, tools)", () => {
    const names = scripts.map((s) => s.slice(repoRoot.length + 1));
    for (const expected of ["scripts/deploy.sh", "scripts/undeploy.sh", "scripts/port-forward.sh", "scripts/images.sh", "scripts/lib/common.sh", "scripts/tools/ensure-shellcheck.sh", "scripts/tools/ensure-tool.sh", "scripts/tools/ensure-packages.sh", "scripts/images/node-base.sh"]) {
      assert.ok(names.includes(expected), expected);
    }
  });

  it("pass shellcheck", () => {
    const shellcheck = ensureTool("shellcheck");
    assert.ok(shellcheck.path, `shellcheck could not be had: ${shellcheck.reason}`);
    const result = runTool(shellcheck.path, ["--external-sources", "--severity=style", ...scripts]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it("parse with bash -n", () => {
    for (const script of scripts) {
      const result = spawnSync("bash", ["-n", script], { encoding: "utf8" });
      assert.equal(result.status, 0, `${script}: ${result.stderr}`);
    }
  });
});

describe("deploy.sh --dry-run on a machine without docker, kind, kubectl and helm", () => {
  const path = pathWithoutPrerequisites();
  const { status, out } = runScript("deploy.sh", ["--dry-run"], path);

  it("exits 0", () => {
    assert.equal(status, 0, out);
  });

  it("reports every missing prerequisite with how to get it", () => {
    for (const tool of prerequisites) assert.match(out, new RegExp(`MISSING\\s+${tool}\\s+->\\s+\\S`), tool);
    assert.match(out, /prerequisites missing: kubectl docker kind helm/);
  });

  it("prints the full plan in order: check, kind, Istio, builds, loads, apply, waits, how to call", () => {
    assertInOrder(out, [
      "prerequisites missing",
      "+ env MESHMART_NAMESPACE=meshmart IMAGE_REPOSITORY=meshmart IMAGE_TAG=dev MESHMART_KEY_NAME=kind-meshmart",
      "+ kind create cluster --name meshmart --config",
      "+ helm upgrade --install istio-base istio/base",
      "+ helm upgrade --install istiod istio/istiod",
      "+ helm upgrade --install istio-ingressgateway istio/gateway",
      "tsx scripts/cluster/src/deploy/prometheus-operator-crds.ts --context kind-meshmart",
      ...serviceNames.map((s) => new RegExp(`\\+ env DOCKER_BUILDKIT=1 docker build --file ${repoRoot}/Dockerfile --build-arg SERVICE=${s} --build-arg NODE_IMAGE=node:24.21.0-slim .*--tag docker.io/meshmart/${s}:dev`)),
      ...serviceNames.map((s) => `+ kind load docker-image docker.io/meshmart/${s}:dev --name meshmart`),
      "tsx scripts/cluster/src/deploy/secrets.ts --context kind-meshmart --namespace meshmart --dry-run",
      "apply --server-side --force-conflicts --field-manager=meshmart-deploy -f",
      "rollout status statefulset/postgres",
      "rollout status statefulset/kafka",
      "wait --for=condition=complete job/kafka-topics",
      ...serviceNames.map((s) => `rollout status deployment/${s}`),
      "how to call meshmart",
      "curl -i http://localhost:8000/",
      "DRY RUN complete",
    ]);
  });

  it("builds and loads exactly one image per service of the topology", () => {
    assert.equal(out.match(/^\+ env DOCKER_BUILDKIT=1 docker build /gm)?.length, serviceNames.length);
    assert.equal(out.match(/^\+ kind load docker-image /gm)?.length, serviceNames.length);
  });

  it("without --dry-run stops at the prerequisite check and runs nothing", () => {
    const real = runScript("deploy.sh", [], path);
    assert.notEqual(real.status, 0);
    assert.match(real.out, /install the missing tools above/);
    assert.doesNotMatch(real.out, /^\+ /m);
  });

  it("DRY_RUN=1 is the same as --dry-run", () => {
    const result = spawnSync("bash", [join(repoRoot, "scripts", "deploy.sh")], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, PATH: path, MESHMART_LOCAL_BIN: "/nonexistent", DRY_RUN: "1" },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /DRY RUN complete/);
  });
});

describe("the other scripts' --dry-run", () => {
  const path = pathWithoutPrerequisites();

  it("undeploy deletes the kind cluster", () => {
    const { status, out } = runScript("undeploy.sh", ["--dry-run"], path);
    assert.equal(status, 0, out);
    assertInOrder(out, ["MISSING  kind", "+ kind delete cluster --name meshmart", "DRY RUN complete"]);
  });

  it("undeploy --keep-cluster removes the platform, then Istio in reverse install order", () => {
    const { status, out } = runScript("undeploy.sh", ["--dry-run", "--keep-cluster"], path);
    assert.equal(status, 0, out);
    assertInOrder(out, ["delete -f", "helm uninstall istio-ingressgateway", "helm uninstall istiod", "helm uninstall istio-base", "delete namespace istio-ingress istio-system"]);
  });

  it("port-forward forwards the gateway, and with --service another service, then prints example calls", () => {
    const { status, out } = runScript("port-forward.sh", ["--dry-run", "--service", "catalog"], path);
    assert.equal(status, 0, out);
    assertInOrder(out, [
      "port-forward service/gateway 9080:8080",
      "port-forward service/catalog 9081:8080",
      "curl -i http://localhost:9080/healthz",
      "buf curl --schema services/proto --data '{}' http://localhost:9081/meshmart.catalog.v1.CatalogService/ListProducts",
    ]);
  });

  it("port-forward --all forwards every service; unknown services are refused", () => {
    const all = runScript("port-forward.sh", ["--dry-run", "--all"], path);
    assert.equal(all.status, 0, all.out);
    assert.equal(all.out.match(/^\+ kubectl .* port-forward /gm)?.length, serviceNames.length);
    const bad = runScript("port-forward.sh", ["--dry-run", "--service", "nope"], path);
    assert.notEqual(bad.status, 0);
    assert.match(bad.out, /unknown service 'nope'/);
  });

  it("images --load builds then loads", () => {
    const { status, out } = runScript("images.sh", ["--dry-run", "--load", "orders"], path);
    assert.equal(status, 0, out);
    assertInOrder(out, ["docker build", "SERVICE=orders", "+ kind load docker-image docker.io/meshmart/orders:dev"]);
  });
});
