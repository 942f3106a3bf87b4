// Command-line options of `make scenarios` (services/e2e/src/scenarios/main.ts).
import { scenarios, targetNames, type TargetName } from "./scenario-definitions.ts";

export interface CliOptions {
  target: TargetName;
  scenarios: string[];
  dryRun: boolean;
  list: boolean;
  help: boolean;
  /** kind: the gateway's URL (default: the kind ingress on kind-* contexts, else a port-forward). */
  gateway?: string;
  /** kind: the kubeconfig context (default: the current one). */
  context?: string;
  /** kind: the namespace meshmart runs in. */
  namespace: string;
  /** kind: local port of a service = its local port + this (the `make port-forward` convention). */
  portOffset: number;
}

export const usage = `usage: make scenarios ARGS="[--target local|kind] [--context NAME] [--scenario NAME]... [--dry-run] [--list]"
       npx tsx services/e2e/src/scenarios/main.ts [options]

  --target local|kind   local: every service as a process on PostgreSQL and an own Kafka (default)
                        kind (also: kubernetes): a cluster that \`make deploy\` deployed to (namespace meshmart)
  --context NAME        kind: the kubeconfig context (default: the current one), e.g. meshmart-local
  --scenario NAME       run only this scenario (repeatable, or comma-separated); default: all
  --dry-run             print every step (and, for kind, every Kubernetes API call) in order; change nothing
  --list                list the scenarios and what each does per target
  --gateway URL         kind: the gateway (default: http://localhost:8000, the kind ingress, on kind-* contexts;
                        elsewhere a port-forward to the gateway service)
  --namespace NAME      kind: namespace (default meshmart)
  --port-offset N       kind: services are reached on 127.0.0.1:<local port + N> (default 1000: orders on 9083)

Exit status: 0 when every scenario passed, 1 on any FAIL or NOT-INJECTED, 2 on bad usage.`;

export function parseCliOptions(argv: string[]): CliOptions {
  const options: CliOptions = {
    target: "local",
    scenarios: [],
    dryRun: false,
    list: false,
    help: false,
    namespace: "meshmart",
    portOffset: 1000,
  };
  const args = [...argv];
  const value = (flag: string): string => {
    const next = args.shift();
    if (next === undefined || next.startsWith("--")) throw new Error(`${flag} needs a value`);
    return next;
  };
  while (args.length > 0) {
    const raw = args.shift()!;
    const eq = raw.indexOf("=");
    const flag = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    if (eq > 0 && raw.startsWith("--")) args.unshift(raw.slice(eq + 1));
    switch (flag) {
      case "--target": {
        const given = value(flag);
        const target = given === "kubernetes" ? "kind" : given;
        if (!(targetNames as readonly string[]).includes(target)) throw new Error(`unknown target "${target}" (known: ${targetNames.join(", ")})`);
        options.target = target as TargetName;
        break;
      }
      case "--scenario":
        options.scenarios.push(...value(flag).split(",").map((s) => s.trim()).filter(Boolean));
        break;
      case "--dry-run":
        options.dryRun = true;
        break;
      case "--list":
        options.list = true;
        break;
      case "--gateway":
        options.gateway = value(flag).replace(/\/$/, "");
        break;
      case "--context":
        options.context = value(flag);
        break;
      case "--namespace":
        options.namespace = value(flag);
        break;
      case "--port-offset": {
        const offset = Number(value(flag));
        if (!Number.isInteger(offset) || offset < 0) throw new Error("--port-offset needs a whole number");
        options.portOffset = offset;
        break;
      }
      case "-h":
      case "--help":
        options.help = true;
        break;
      default:
        throw new Error(`unknown argument "${raw}"`);
    }
  }
  const known = new Set(scenarios.map((s) => s.name));
  const unknown = options.scenarios.filter((s) => !known.has(s));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(", ")} (known: ${[...known].join(", ")})`);
  return options;
}
