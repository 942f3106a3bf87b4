// AuthorizationPolicy callers equal the clients each service really builds:
// the policy is derived from the topology's `calls`, and this test reads each
// service's sources for the Connect clients it creates
// (`createServiceClient(<X>Service, ...)`) and checks they are exactly its
// `calls`. A new client without a topology entry would be denied by the mesh;
// this catches it before a deploy does.

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { serviceNames, services, type ServiceName } from "@meshmart/topology";
import { callerPrincipals } from "@meshmart/mesh/authorization-policy";
import { meshOptions } from "@meshmart/mesh/mesh-options";
import { repoRoot } from "./tools.ts";

/** `OrderService` -> "orders", from each service's fully-qualified rpcService. */
const serviceByRpcName = new Map<string, ServiceName>(
  serviceNames.flatMap((name) => {
    const rpc = services[name].rpcService;
    return rpc ? [[rpc.split(".").at(-1)!, name] as [string, ServiceName]] : [];
  }),
);

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.startsWith("test-") ? [path] : [];
  });
}

/** The services whose Connect clients a service's (non-test) code creates. */
function clientsBuiltBy(name: ServiceName): ServiceName[] {
  const built = new Set<ServiceName>();
  for (const file of sources(join(repoRoot, "services", name, "src"))) {
    for (const match of readFileSync(file, "utf8").matchAll(/createServiceClient\(\s*(\w+Service)\b/g)) {
      const target = serviceByRpcName.get(match[1]!);
      assert.ok(target, `${file}: a client for ${match[1]}, which is no service of the topology`);
      built.add(target);
    }
  }
  return [...built].sort();
}

describe("callers in the mesh policy are the clients the services build", () => {
  for (const name of serviceNames) {
    it(`${name}: Connect clients in services/${name}/src == topology calls`, () => {
      assert.deepEqual(clientsBuiltBy(name), [...services[name].calls].sort());
    });
  }

  it("so each service's allowed principals are the service accounts of the services that build a client for it", () => {
    const options = meshOptions();
    for (const target of serviceNames) {
      const builders = serviceNames.filter((caller) => clientsBuiltBy(caller).includes(target));
      assert.deepEqual(callerPrincipals(target, options).sort(), builders.map((b) => `cluster.local/ns/meshmart/sa/${b}`).sort());
    }
  });
});
