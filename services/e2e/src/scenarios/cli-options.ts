// Command-line options of `make scenarios` (services/e2e/src/scenarios/main.ts).
import { parseArgs } from "node:util";
import { scenarios, targetNames, type TargetName } from "./scenario-definitions.ts";

export interface CliOptions {
  target: TargetName;
  scenarios: string[];
  dryRun: boolean;
  list: boolean;
  help: boolean;
  /** Print the report's path at the end (and open it where a desktop opener exists). */
  report: boolean;
  /** Only the quick subset (the one `make test` runs). */
  quick: boolean;
  /** local: the infrastructure profile (PostgreSQL, Kafka, Toxiproxy; data in .local/<profile>). */
  profile: string;
  /** kind: the gateway's URL (default: the kind ingress on kind-* contexts, else a port-forward). */
  gateway?: string;
  /** kind: the kubeconfig context (default: the current one). */
  context?: string;
  /** kind: the namespace meshmart runs in. */
  namespace: string;
  /** kind: local port of a service = its local port + this (the `make port-forward` convention). */
  portOffset: number;
}

export const usage = `usage: make scenarios ARGS="[--target local|kind] [--context NAME] [--scenario NAME]... [--quick] [--dry-run] [--report] [--list]"
       npx tsx services/e2e/src/scenarios/main.ts [options]

  --target local|kind   local: every service as a process on PostgreSQL, an own Kafka and Toxiproxy (default)
                        kind (also: kubernetes): a cluster that \`make deploy\` deployed to (namespace meshmart)
  --context NAME        kind: the kubeconfig context (default: the current one), e.g. meshmart-local
  --scenario NAME       run only this scenario (repeatable, or comma-separated); default: every one with a fault on the target
  --quick               only the quick subset (the fastest few, which \`make test\` runs)
  --dry-run             print every step (and, for kind, every Kubernetes API call) in order; change nothing
  --report              at the end, print the HTML report's path (and open it with xdg-open/open where there is one)
  --list                list the scenarios and what each does per target
  --profile NAME        local: the infrastructure profile (default scenarios; data in .local/<profile>)
  --gateway URL         kind: the gateway (default: http://localhost:8000, the kind ingress, on kind-* contexts;
                        elsewhere a port-forward to the gateway service)
  --namespace NAME      kind: namespace (default meshmart)
  --port-offset N       kind: services are reached on 127.0.0.1:<local port + N> (default 1000: orders on 9083)

Exit status: 0 when every scenario passed, 1 on any FAIL or NOT-INJECTED, 2 on bad usage.`;

export function parseCliOptions(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      target: { type: "string", default: "local" },
      scenario: { type: "string", multiple: true, default: [] },
      "dry-run": { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      report: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      profile: { type: "string", default: "scenarios" },
      gateway: { type: "string" },
      context: { type: "string" },
      namespace: { type: "string", default: "meshmart" },
      "port-offset": { type: "string", default: "1000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const target = values.target === "kubernetes" ? "kind" : values.target;
  if (!(targetNames as readonly string[]).includes(target)) throw new Error(`unknown target "${values.target}" (known: ${targetNames.join(", ")}, kubernetes)`);
  const portOffset = Number(values["port-offset"]);
  if (!Number.isInteger(portOffset) || portOffset < 0) throw new Error("--port-offset needs a whole number");
  const options: CliOptions = {
    target: target as TargetName,
    scenarios: values.scenario.flatMap((s) => s.split(",").map((name) => name.trim()).filter(Boolean)),
    dryRun: values["dry-run"],
    list: values.list,
    help: values.help,
    report: values.report,
    quick: values.quick,
    profile: values.profile,
    namespace: values.namespace,
    portOffset,
    ...(values.gateway ? { gateway: values.gateway.replace(/\/$/, "") } : {}),
    ...(values.context ? { context: values.context } : {}),
  };
  const known = new Set(scenarios.map((s) => s.name));
  const unknown = options.scenarios.filter((s) => !known.has(s));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(", ")} (known: ${[...known].join(", ")})`);
  return options;
}
