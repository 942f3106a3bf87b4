// The kind target: the meshmart namespace of the current kubeconfig context,
// as `make deploy` leaves it (Deployments named after the services, labelled
// app.kubernetes.io/name; the StatefulSet kafka; one VirtualService per
// service from mesh/). Orders go through the ingress (http://localhost:8000 on
// kind, or --gateway) with a token from services/dev-identity/src/dev-token.ts; verify reaches
// the services through in-process port-forwards on the `make port-forward
// ARGS=--all` ports. Every Kubernetes call is a @kubernetes/client-node call
// and is printed; `--dry-run` makes the same calls against a simulated
// namespace (kube-dry-run.ts) and changes nothing.
import { setTimeout as sleep } from "node:timers/promises";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1";
import { callersOf, outboxServiceNames, serviceNames, services, type ServiceName } from "@meshmart/topology";
import { meshOptions } from "@meshmart/mesh/mesh-options";
import { rpcPath, serviceVirtualService } from "@meshmart/mesh/virtual-service";
import { createSystemClients } from "../system-clients.ts";
import { openServiceForwards, type ServiceForwards } from "../cluster/cluster-port-forward.ts";
import * as k8s from "@kubernetes/client-node";
import { connectToCluster, type ClusterConnection } from "../cluster/cluster-connection.ts";
import { consumerGroupsCommand, countFaultAborts } from "../cluster/cluster-verify.ts";
import { externalsProfile } from "@meshmart/cluster/cluster-externals";
import { clusterProfiles, nodeAddress } from "@meshmart/cluster/cluster-profiles";
import { startKafka, type KafkaHandle } from "@meshmart/infra/kafka";
import { startPostgres, type PostgresHandle } from "@meshmart/infra/postgres";
import { isPortOpen } from "@meshmart/infra/processes";
import { dryRunOps } from "./kube-dry-run.ts";
import { CallLog, loggedOps, type EnvVar, type JsonPatch, type KubeOps, type WorkloadStatus } from "../cluster/kube-ops.ts";
import { metricValue } from "../rest.ts";
import { readOrderOutcomes } from "./order-outcomes.ts";
import type { Fault } from "./fault.ts";
import type { ScenarioDefinition } from "./scenario-definitions.ts";
import type { FaultContext, Injected, Session, StepLog, Target } from "./target.ts";
import { confirmed, notConfirmed, type Confirmation } from "./verdict.ts";

export interface KindTargetOptions {
  dryRun: boolean;
  namespace: string;
  /** kubeconfig context; default: the current one. */
  context?: string;
  /** Where orders go; default: the kind ingress (localhost:8000) on kind-* contexts, else the forwarded gateway. */
  gatewayUrl?: string;
  portOffset: number;
}

/** The Kafka StatefulSet of cdk8s/src/kafka.ts. */
export const kafkaStatefulSet = "kafka";
/** The PostgreSQL StatefulSet of cdk8s/src/postgres.ts. */
export const postgresStatefulSet = "postgres";
export const faultRouteName = "scenario-fault";
const selectorOf = (app: string) => `app.kubernetes.io/name=${app}`;

export type RouteFault = { abort: { fraction: number } } | { delay: { ms: number; percent: number } };

/**
 * The route a mesh fault puts first on a service's VirtualService: the
 * faulted methods' exact paths (all of them when none is named), the
 * service's destination and timeout (from the same builder as the deployed
 * policy), and an abort with 503 or a fixed delay. Istio does not retry a
 * route with a fault.
 */
export function faultRoute(service: ServiceName, fault: RouteFault, namespace: string, methods: string[] = []): Record<string, unknown> {
  const description = services[service];
  const deployed = serviceVirtualService(description, meshOptions({ namespace }));
  const fallback = deployed.spec!.http!.at(-1)!;
  return {
    name: faultRouteName,
    ...(methods.length > 0 ? { match: methods.map((method) => ({ uri: { exact: rpcPath(description.rpcService!, method) } })) } : {}),
    route: fallback.route,
    timeout: fallback.timeout,
    fault:
      "abort" in fault
        ? { abort: { percentage: { value: Math.round(fault.abort.fraction * 1000) / 10 }, httpStatus: 503 } }
        : { delay: { percentage: { value: fault.delay.percent }, fixedDelay: `${fault.delay.ms / 1000}s` } },
  };
}

/** The catalog-errors route: an abort of a fraction of chosen catalog methods. */
export function catalogFaultRoute(fault: Fault & { kind: "mesh-abort" }, namespace: string): Record<string, unknown> {
  return faultRoute("catalog", { abort: { fraction: fault.fraction } }, namespace, fault.methods);
}

/** A service's VirtualService routes with the fault route first (validated against the Istio schema). */
export function faultedRoutes(service: ServiceName, current: Array<Record<string, unknown>>, route: Record<string, unknown>, namespace: string) {
  const http = [route, ...current.filter((r) => r.name !== faultRouteName)];
  new VirtualService({
    metadata: { name: service, namespace },
    spec: { hosts: [`${service}.${namespace}.svc.cluster.local`], http: http },
  }).validate();
  return http;
}

export function faultedCatalogRoutes(current: Array<Record<string, unknown>>, fault: Fault & { kind: "mesh-abort" }, namespace: string) {
  return faultedRoutes("catalog", current, catalogFaultRoute(fault, namespace), namespace);
}

const rolledOut = (s: WorkloadStatus) =>
  s.observedGeneration >= s.generation && s.updatedReplicas >= s.desired && s.availableReplicas >= s.desired && s.replicas === s.desired;

export class KindTarget implements Target {
  readonly name = "kind" as const;
  readonly dryRun: boolean;
  private raw: KubeOps | undefined;
  private connection: ClusterConnection | undefined;
  private forwards: ServiceForwards | undefined;
  private gatewayUrl = "";

  constructor(private readonly options: KindTargetOptions) {
    this.dryRun = options.dryRun;
  }

  async open(log: StepLog): Promise<void> {
    const { namespace } = this.options;
    if (this.dryRun) {
      log(`would load the kubeconfig (KubeConfig.loadFromDefault) and use context ${this.options.context ?? "<current>"}`);
      this.raw = dryRunOps(namespace);
      this.forwards = await openServiceForwards({ ops: this.raw, offset: this.options.portOffset, dryRun: true, log });
      this.gatewayUrl = this.options.gatewayUrl ?? "http://localhost:8000";
      log(`would check ${this.gatewayUrl}/healthz and sign tokens with services/dev-identity/src/dev-token.ts (the context's key pair)`);
      return;
    }
    const context = this.options.context ?? currentContext();
    log(`cluster: context ${context}, namespace ${namespace}`);
    this.connection = await connectToCluster({ context, namespace, portOffset: this.options.portOffset, log });
    this.raw = this.connection.ops;
    this.forwards = { urls: this.connection.urls, close: () => this.connection!.close() };
    const deployments = await this.raw.listDeployments("app.kubernetes.io/part-of=meshmart");
    const missing = serviceNames.filter((name) => !deployments.some((d) => d.name === name));
    if (missing.length > 0) throw new Error(`not deployed in ${namespace}: ${missing.join(", ")} (run \`make deploy\`)`);
    this.gatewayUrl = this.options.gatewayUrl ?? (context.startsWith("kind-") ? "http://localhost:8000" : this.connection.urls.gateway);
    log(`orders go to the gateway at ${this.gatewayUrl}${this.connection.externalBrokers ? `; Kafka is outside the cluster (${this.connection.externalBrokers.join(",")})` : ""}`);
    const health = await fetch(`${this.gatewayUrl}/healthz`, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.status,
      (err: Error) => `${err.message}`,
    );
    if (health !== 200) throw new Error(`the gateway at ${this.gatewayUrl} does not answer /healthz (${health}); is the kind ingress up, or pass --gateway`);
  }

  async close(log: StepLog): Promise<void> {
    if (this.forwards) {
      log(this.dryRun ? "would close the port-forwards" : "closing the port-forwards");
      await this.forwards.close();
    }
  }

  async session(scenario: ScenarioDefinition, log: StepLog): Promise<Session> {
    if (!this.raw || !this.forwards) throw new Error("the kind target is not open");
    const calls = new CallLog(log);
    const session = new KindSession(loggedOps(this.raw, calls), this.forwards, this.gatewayUrl, this.options, this.dryRun, (line) => calls.step(line), this.connection, scenario);
    await session.waitHealthy();
    return session;
  }
}

function currentContext(): string {
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromDefault();
  const context = kubeconfig.getCurrentContext();
  if (!context) throw new Error("no current kubeconfig context: pass --context, or create the cluster with `make deploy`");
  return context;
}

/** The local cluster (make cluster-up) runs Kafka as a host process of our own: its outage is ours to make. */
async function localClusterBroker(context: string): Promise<KafkaHandle | undefined> {
  if (context !== clusterProfiles.local.context) return undefined;
  return startKafka({ profile: externalsProfile, own: true, detached: true, host: nodeAddress(clusterProfiles.local), log: () => {} });
}

export class KindSession implements Session {
  constructor(
    private readonly ops: KubeOps,
    private readonly forwards: ServiceForwards,
    readonly gatewayUrl: string,
    private readonly options: KindTargetOptions,
    private readonly dryRun: boolean,
    private readonly log: StepLog,
    private readonly connection: ClusterConnection | undefined,
    private readonly scenario: ScenarioDefinition,
  ) {}

  /** Kafka runs outside the cluster (no StatefulSet to wait for or scale). */
  private get kafkaOutside(): boolean {
    return this.connection?.externalBrokers !== undefined;
  }

  /** Polls `probe` until it returns a value, or gives up after `timeoutMs` (undefined). */
  private async poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<{ value: T; seconds: number } | undefined> {
    const started = Date.now();
    this.log(`${this.dryRun ? "would wait" : "waiting"} (up to ${timeoutMs / 1000} s) until ${what}`);
    for (;;) {
      const value = await probe();
      if (value !== undefined) return { value, seconds: (Date.now() - started) / 1000 };
      if (Date.now() - started > timeoutMs) return undefined;
      await sleep(1_000);
    }
  }

  async waitHealthy(): Promise<void> {
    const healthy = await this.poll("every Deployment is available and Kafka is ready", 180_000, async () => {
      const deployments = await this.ops.listDeployments("app.kubernetes.io/part-of=meshmart");
      const kafkaReady = this.kafkaOutside || (await this.ops.readStatefulSet(kafkaStatefulSet).then((k) => k.readyReplicas >= k.desired && k.desired > 0));
      const short = deployments.filter((d) => serviceNames.includes(d.name as ServiceName) && !(d.status.desired > 0 && d.status.availableReplicas >= d.status.desired));
      return short.length === 0 && kafkaReady ? true : undefined;
    });
    if (!healthy) throw new Error("the cluster is not healthy before the scenario (a Deployment unavailable or Kafka not ready within 180 s)");
  }

  async token(customerId: string): Promise<string> {
    if (!this.connection) throw new Error("no token signer (dry run?)");
    return this.connection.token(customerId);
  }

  async steadyState(): Promise<Confirmation> {
    if (this.dryRun) {
      this.log(`would check ${this.gatewayUrl}/healthz and read outbox backlog, consumer lag and pending sagas`);
      return confirmed("dry run");
    }
    const health = await fetch(`${this.gatewayUrl}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, (err: Error) => err.message);
    if (health !== 200) return notConfirmed(`the gateway at ${this.gatewayUrl} answers /healthz with ${health}`);
    const pending = await Promise.all(
      outboxServiceNames().map(async (name) => {
        const text = await fetch(`${this.forwards.urls[name]}/metrics`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.text());
        return [name, metricValue(text, "outbox_backlog"), name === "orders" ? metricValue(text, "saga_pending") : 0] as const;
      }),
    ).catch((err: Error) => err);
    if (pending instanceof Error) return notConfirmed(`cannot read the services' metrics: ${pending.message}`);
    const busy = pending.filter(([, backlog, sagas]) => backlog > 0 || sagas > 0);
    return busy.length === 0
      ? confirmed("every Deployment available, the gateway healthy, outboxes empty and no saga pending")
      : notConfirmed(`not at rest: ${busy.map(([name, backlog, sagas]) => `${name} outbox ${backlog}${sagas ? `, ${sagas} sagas pending` : ""}`).join("; ")}`);
  }

  async inject(fault: Fault, _context: FaultContext): Promise<Injected> {
    const notHere = (why: string): Injected => ({ applied: notConfirmed(why), heal: async () => confirmed("nothing was changed") });
    switch (fault.kind) {
      case "process-kill":
        return fault.signal === "SIGKILL" ? this.killPods(fault.services) : this.scaleDeploymentsToZero(fault.services);
      case "kafka-outage":
        return this.kafkaOutside ? this.stopHostKafka() : this.scaleKafkaToZero();
      case "postgres-outage":
        return this.postgresOutage(fault);
      case "fault-switch":
        return this.envFault(fault.service, fault.rules);
      case "rebalance-storm":
        return this.scaleStorm(fault);
      case "mesh-abort":
        return this.meshRouteFault("catalog", { abort: { fraction: fault.fraction } }, fault.methods, "FI");
      case "mesh":
        if (fault.mesh === "delay") return this.meshRouteFault(fault.service, { delay: { ms: fault.delayMs, percent: fault.percent } }, [], "DI");
        return this.meshPolicyFault(fault);
      default:
        return notHere(`no ${fault.kind} fault on Kubernetes (this scenario runs on the local target)`);
    }
  }

  private async killPods(names: ServiceName[]): Promise<Injected> {
    const kills = await Promise.all(names.map((name) => this.killPod(name)));
    return combine(kills);
  }

  private async scaleDeploymentsToZero(names: ServiceName[]): Promise<Injected> {
    const scaled: Injected[] = [];
    for (const name of names) scaled.push(await this.scaleDeploymentToZero(name));
    return combine(scaled);
  }

  private async killPod(service: ServiceName): Promise<Injected> {
    const selector = selectorOf(service);
    this.log(`deleting one Ready ${service} pod`);
    const before = await this.ops.listPods(selector);
    const victim = before.find((p) => p.ready && !p.terminating);
    const nothing = async () => confirmed("nothing was deleted");
    if (!victim) return { applied: notConfirmed(`no Ready ${service} pod to delete (${before.length} pod(s))`), heal: nothing };
    const readyBefore = before.filter((p) => p.ready && !p.terminating).length;
    await this.ops.deletePod(victim.name, 0);
    const gone = await this.poll(`pod ${victim.name} is gone`, 60_000, async () =>
      (await this.ops.listPods(selector)).some((p) => p.uid === victim.uid) ? undefined : true,
    );
    const heal = async (): Promise<Confirmation> => {
      const replaced = await this.poll(`a new ${service} pod is Ready (${readyBefore} Ready in all)`, 180_000, async () => {
        const pods = await this.ops.listPods(selector);
        const ready = pods.filter((p) => p.ready && !p.terminating);
        const fresh = ready.find((p) => !before.some((b) => b.uid === p.uid));
        return fresh && ready.length >= readyBefore ? fresh.name : undefined;
      });
      return replaced
        ? confirmed(`replacement pod ${replaced.value} Ready after ${replaced.seconds.toFixed(0)} s`)
        : notConfirmed(`no new Ready ${service} pod within 180 s`);
    };
    return {
      applied: gone
        ? confirmed(`pod ${victim.name} (uid ${victim.uid}) deleted with gracePeriodSeconds 0, gone after ${gone.seconds.toFixed(0)} s`)
        : notConfirmed(`pod ${victim.name} still listed 60 s after the delete`),
      heal,
    };
  }

  private async scaleDeploymentToZero(service: ServiceName): Promise<Injected> {
    this.log(`scaling deployment ${service} to 0`);
    const original = await this.ops.readDeploymentScale(service);
    if (original === 0) return { applied: notConfirmed(`${service} is already scaled to 0`), heal: async () => confirmed("nothing was scaled") };
    await this.ops.patchDeploymentScale(service, 0);
    const zero = await this.poll(`${service} reports status.replicas 0`, 90_000, async () =>
      (await this.ops.readDeployment(service)).status.replicas === 0 ? true : undefined,
    );
    return {
      applied: zero
        ? confirmed(`${service} scaled from ${original} to 0; status.replicas 0 after ${zero.seconds.toFixed(0)} s (an HPA leaves a target at 0 alone)`)
        : notConfirmed(`${service} still reports replicas 90 s after the scale to 0`),
      heal: async () => {
        this.log(`scaling deployment ${service} back to ${original}`);
        await this.ops.patchDeploymentScale(service, original);
        const back = await this.poll(`${service} has ${original} available replicas`, 180_000, async () =>
          (await this.ops.readDeployment(service)).status.availableReplicas >= original ? true : undefined,
        );
        return back ? confirmed(`${service} back to ${original} available replicas after ${back.seconds.toFixed(0)} s`) : notConfirmed(`${service} not back to ${original} available replicas within 180 s`);
      },
    };
  }

  private async scaleKafkaToZero(): Promise<Injected> {
    this.log("scaling the kafka StatefulSet to 0");
    const original = await this.ops.readStatefulSetScale(kafkaStatefulSet);
    if (original === 0) return { applied: notConfirmed("the kafka StatefulSet is already at 0"), heal: async () => confirmed("nothing was scaled") };
    await this.ops.patchStatefulSetScale(kafkaStatefulSet, 0);
    const gone = await this.poll("no kafka pod is left", 120_000, async () =>
      (await this.ops.listPods(selectorOf(kafkaStatefulSet))).length === 0 ? true : undefined,
    );
    return {
      applied: gone
        ? confirmed(`kafka scaled from ${original} to 0; its pods gone after ${gone.seconds.toFixed(0)} s`)
        : notConfirmed("kafka pods still present 120 s after the scale to 0"),
      heal: async () => {
        this.log(`scaling the kafka StatefulSet back to ${original}`);
        await this.ops.patchStatefulSetScale(kafkaStatefulSet, original);
        const back = await this.poll(`kafka has ${original} ready replicas`, 300_000, async () =>
          (await this.ops.readStatefulSet(kafkaStatefulSet)).readyReplicas >= original ? true : undefined,
        );
        return back ? confirmed(`kafka back to ${original} ready replica(s) after ${back.seconds.toFixed(0)} s`) : notConfirmed(`kafka not ready within 300 s`);
      },
    };
  }

  /** Kafka outside the cluster: only the local cluster's own broker (a host process we started) can be stopped. */
  private async stopHostKafka(): Promise<Injected> {
    const brokers = this.connection!.externalBrokers!.join(",");
    const broker = await localClusterBroker(this.connection!.context).catch(() => undefined);
    const nothing = async () => confirmed("nothing was stopped");
    if (!broker) return { applied: notConfirmed(`Kafka is outside the cluster (${brokers}) and not one this tool runs: it cannot be stopped from here`), heal: nothing };
    const [host, port] = broker.brokers[0]!.split(":") as [string, string];
    this.log(`stopping the local cluster's Kafka on the host (${broker.brokers[0]}), the broker the pods use`);
    await broker.stop();
    const closed = !(await isPortOpen(Number(port), host));
    return {
      applied: closed ? confirmed(`Kafka at ${broker.brokers[0]} stopped (SIGTERM); its port refuses connections`) : notConfirmed(`Kafka at ${broker.brokers[0]} still accepts connections after the stop`),
      heal: async () => {
        this.log("starting the local cluster's Kafka again (same data)");
        const started = Date.now();
        await broker.start();
        return confirmed(`Kafka back at ${broker.brokers[0]} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      },
    };
  }

  /** Sets one env variable on a Deployment's container (a JSON patch), returning the patch that restores it. */
  private async setEnv(deployment: ServiceName, name: string, value: string): Promise<JsonPatch> {
    const view = await this.ops.readDeployment(deployment);
    const index = view.containers.findIndex((c) => c.name === deployment);
    if (index < 0) throw new Error(`deployment ${deployment} has no container named ${deployment}`);
    const original: EnvVar[] | undefined = view.containers[index]!.env;
    const path = `/spec/template/spec/containers/${index}/env`;
    const guard = { op: "test" as const, path: `/spec/template/spec/containers/${index}/name`, value: deployment };
    const env = [...(original ?? []).filter((e) => e.name !== name), { name, value }];
    await this.ops.patchDeployment(deployment, [guard, { op: "add", path, value: env }]);
    return original === undefined ? [guard, { op: "remove", path }] : [guard, { op: "add", path, value: original }];
  }

  private async rollout(deployment: ServiceName): Promise<{ seconds: number } | undefined> {
    return this.poll(`deployment ${deployment} is rolled out`, 300_000, async () => (rolledOut((await this.ops.readDeployment(deployment)).status) ? true : undefined));
  }

  /**
   * FAULTS on a Deployment (the cluster has no FAULT_ADMIN), plus the
   * scenario's other settings, rolled out; reverted and rolled out again on heal.
   */
  private async envFault(service: ServiceName, rules: string): Promise<Injected> {
    const changes: Array<[ServiceName, string, string]> = [
      ...Object.entries(this.scenario.serviceEnv ?? {}).flatMap(([name, vars]) => Object.entries(vars ?? {}).map(([k, v]) => [name as ServiceName, k, v] as [ServiceName, string, string])),
      [service, "FAULTS", rules],
    ];
    const touched = [...new Set(changes.map(([d]) => d))];
    const reverts: Array<[ServiceName, JsonPatch]> = [];
    const heal = async (): Promise<Confirmation> => {
      this.log(`restoring the environment of ${touched.join(" and ")}`);
      for (const [deployment, patch] of reverts.splice(0).reverse()) await this.ops.patchDeployment(deployment, patch);
      for (const deployment of touched) {
        if (!(await this.rollout(deployment))) return notConfirmed(`${deployment} did not roll back out within 300 s`);
      }
      return confirmed(`${changes.map(([, n]) => n).join(", ")} removed again; ${touched.join(" and ")} rolled out`);
    };
    try {
      this.log(`patching the environment of ${touched.join(" and ")} (a rolling update each)`);
      for (const [deployment, name, value] of changes) reverts.push([deployment, await this.setEnv(deployment, name, value)]);
      for (const deployment of touched) {
        const done = await this.rollout(deployment);
        if (!done) return { applied: notConfirmed(`${deployment} did not roll out the new environment within 300 s`), heal };
      }
      const applied = await Promise.all(changes.map(async ([deployment, name, value]) => {
        const view = await this.ops.readDeployment(deployment);
        return view.containers.find((c) => c.name === deployment)?.env?.some((e) => e.name === name && e.value === value) ?? false;
      }));
      return {
        applied: applied.every(Boolean)
          ? confirmed(changes.map(([d, n, v]) => `${d} rolled out with ${n}=${v}`).join("; "))
          : notConfirmed("the rolled-out Deployments do not carry the fault environment"),
        heal,
      };
    } catch (err) {
      return { applied: notConfirmed(`patching the Deployments failed: ${(err as Error).message}`), heal };
    }
  }

  /** PostgreSQL down: the StatefulSet at 0 (halt) or its pod deleted (kill); the local cluster's host PostgreSQL stopped or killed. */
  private async postgresOutage(fault: Fault & { kind: "postgres-outage" }): Promise<Injected> {
    const host = await localClusterPostgres(this.connection?.context ?? "").catch(() => undefined);
    if (host) {
      this.log(`${fault.mode === "halt" ? "stopping" : "killing"} the local cluster's PostgreSQL on the host (the database the pods use)`);
      if (fault.mode === "halt") await host.halt();
      else await host.kill();
      const port = Number(new URL(host.adminUrl).port);
      const closed = !(await isPortOpen(port));
      return {
        applied: closed ? confirmed(`the host PostgreSQL ${fault.mode === "halt" ? "shut down" : "killed"}; port ${port} refuses connections`) : notConfirmed(`port ${port} still accepts connections`),
        heal: async () => {
          await host.start();
          return (await isPortOpen(port)) ? confirmed("the host PostgreSQL is back") : notConfirmed(`PostgreSQL not listening on ${port}`);
        },
      };
    }
    if (fault.mode === "kill") {
      const pods = await this.ops.listPods(selectorOf(postgresStatefulSet));
      const victim = pods.find((p) => p.ready && !p.terminating);
      if (!victim) return { applied: notConfirmed("no Ready postgres pod to delete"), heal: async () => confirmed("nothing was deleted") };
      await this.ops.deletePod(victim.name, 0);
      const gone = await this.poll(`pod ${victim.name} (uid ${victim.uid}) is gone`, 60_000, async () => ((await this.ops.listPods(selectorOf(postgresStatefulSet))).some((p) => p.uid === victim.uid) ? undefined : true));
      return {
        applied: gone ? confirmed(`pod ${victim.name} deleted with gracePeriodSeconds 0`) : notConfirmed(`pod ${victim.name} still listed 60 s after the delete`),
        heal: async () => {
          const back = await this.poll("postgres is ready again", 300_000, async () => ((await this.ops.readStatefulSet(postgresStatefulSet)).readyReplicas >= 1 ? true : undefined));
          return back ? confirmed(`postgres ready again after ${back.seconds.toFixed(0)} s`) : notConfirmed("postgres not ready within 300 s");
        },
      };
    }
    const original = await this.ops.readStatefulSetScale(postgresStatefulSet);
    await this.ops.patchStatefulSetScale(postgresStatefulSet, 0);
    const gone = await this.poll("no postgres pod is left", 120_000, async () => ((await this.ops.listPods(selectorOf(postgresStatefulSet))).length === 0 ? true : undefined));
    return {
      applied: gone ? confirmed(`postgres scaled from ${original} to 0; its pods gone after ${gone.seconds.toFixed(0)} s`) : notConfirmed("postgres pods still present 120 s after the scale to 0"),
      heal: async () => {
        await this.ops.patchStatefulSetScale(postgresStatefulSet, original);
        const back = await this.poll(`postgres has ${original} ready replicas`, 300_000, async () => ((await this.ops.readStatefulSet(postgresStatefulSet)).readyReplicas >= original ? true : undefined));
        return back ? confirmed(`postgres back after ${back.seconds.toFixed(0)} s`) : notConfirmed("postgres not ready within 300 s");
      },
    };
  }

  /** Consumers of one group scaled up and down: the Deployment at replicas + extra, then back, cycle after cycle. */
  private async scaleStorm(fault: Fault & { kind: "rebalance-storm" }): Promise<Injected> {
    const original = await this.ops.readDeploymentScale(fault.service);
    const seen: number[] = [];
    const cycles = (async () => {
      for (let cycle = 0; cycle < fault.cycles; cycle++) {
        await this.ops.patchDeploymentScale(fault.service, original + fault.extra);
        if (!this.dryRun) await sleep(fault.periodMs);
        seen.push((await this.ops.readDeployment(fault.service)).status.replicas);
        await this.ops.patchDeploymentScale(fault.service, original);
        if (!this.dryRun) await sleep(fault.periodMs);
      }
    })();
    const first = await this.poll(`${fault.service} runs ${original + fault.extra} replicas`, 120_000, async () => ((await this.ops.readDeployment(fault.service)).status.replicas >= original + fault.extra || seen.length > 0 ? true : undefined));
    return {
      applied: first ? confirmed(`${fault.service} scaled ${original} -> ${original + fault.extra} (cycle 1 of ${fault.cycles})`) : notConfirmed(`${fault.service} never ran ${original + fault.extra} replicas`),
      heal: async () => {
        await cycles;
        await this.ops.patchDeploymentScale(fault.service, original);
        const back = await this.rollout(fault.service);
        return back ? confirmed(`${fault.service} back to ${original} replicas after ${fault.cycles} cycles (replicas seen: ${seen.join(", ")})`) : notConfirmed(`${fault.service} not back to ${original} replicas`);
      },
    };
  }

  /** Whether the callers of a service run Envoy sidecars: without them a mesh fault is a stored object that acts on nothing. */
  private async callerSidecars(service: ServiceName): Promise<{ pods: string[]; why?: string }> {
    const callers = callersOf(service);
    const pods = (await Promise.all(callers.map((c) => this.ops.listPods(selectorOf(c))))).flat().filter((p) => p.ready && !p.terminating);
    const withSidecar = pods.filter((p) => p.containers.includes("istio-proxy")).map((p) => p.name);
    return withSidecar.length > 0
      ? { pods: withSidecar }
      : { pods: [], why: `no Istio data plane: the pods of ${service}'s callers (${callers.join(", ")}) have no istio-proxy sidecar (no Envoy runs on this cluster), so a mesh fault cannot act` };
  }

  private async faultCount(service: ServiceName, pods: string[], flag: "FI" | "DI"): Promise<number> {
    let sum = 0;
    for (const pod of pods) sum += countFaultAborts(await this.ops.exec(pod, "istio-proxy", ["pilot-agent", "request", "GET", "stats/prometheus"]), service, flag);
    return sum;
  }

  /** An abort or delay route first on the service's VirtualService, confirmed by the callers' sidecars counting it. */
  private async meshRouteFault(service: ServiceName, fault: RouteFault, methods: string[], flag: "FI" | "DI"): Promise<Injected> {
    const { namespace } = this.options;
    const sidecars = await this.callerSidecars(service);
    if (sidecars.why) return { applied: notConfirmed(sidecars.why), heal: async () => confirmed("nothing was changed") };
    this.log(`reading the callers' injected-fault counters (baseline)`);
    const baseline = await this.faultCount(service, sidecars.pods, flag).catch(() => undefined);
    this.log(`adding the fault route to ${service}'s VirtualService`);
    const current = await this.ops.getVirtualService(service);
    const http = faultedRoutes(service, current.http.filter((route) => route.name !== faultRouteName), faultRoute(service, fault, namespace, methods), namespace);
    await this.ops.patchVirtualService(service, [
      { op: "test", path: "/metadata/resourceVersion", value: current.resourceVersion },
      { op: "replace", path: "/spec/http", value: http },
    ]);
    const heal = async (): Promise<Confirmation> => {
      this.log(`removing the fault route from ${service}'s VirtualService`);
      const now = await this.ops.getVirtualService(service);
      await this.ops.patchVirtualService(service, [
        { op: "test", path: "/metadata/resourceVersion", value: now.resourceVersion },
        { op: "replace", path: "/spec/http", value: now.http.filter((route) => route.name !== faultRouteName) },
      ]);
      const after = await this.ops.getVirtualService(service);
      return after.http.some((route) => route.name === faultRouteName || route.fault)
        ? notConfirmed(`${service}'s VirtualService still carries a fault`)
        : confirmed(`${service}'s VirtualService restored (${after.http.length} route(s), no fault)`);
    };
    this.log(`reading ${service}'s VirtualService back`);
    const readBack = await this.ops.getVirtualService(service);
    const first = readBack.http[0];
    const applied =
      first?.name === faultRouteName && first.fault !== undefined
        ? confirmed(`${service}'s VirtualService carries route ${faultRouteName} (${JSON.stringify(first.fault)}), resourceVersion ${readBack.resourceVersion}`)
        : notConfirmed(`the fault route is not on ${service}'s VirtualService after the patch`);
    return {
      applied,
      observe: async () => {
        this.log("reading the callers' injected-fault counters");
        const now = await this.faultCount(service, sidecars.pods, flag).catch((err: Error) => err);
        if (now instanceof Error) return notConfirmed(`cannot read the callers' sidecar stats: ${now.message}`);
        const delta = now - (baseline ?? 0);
        return delta > 0
          ? confirmed(`the callers' sidecars answered ${delta} call(s) to ${service} with an injected fault (istio_requests_total, response_flags ${flag})`)
          : notConfirmed(`the callers' sidecars count no injected fault on calls to ${service} (has Istio pushed the route?)`);
      },
      heal,
    };
  }

  /** Outlier ejection and connection-pool overflow act in the callers' Envoy sidecars only. */
  private async meshPolicyFault(fault: Fault & { kind: "mesh" }): Promise<Injected> {
    const sidecars = await this.callerSidecars(fault.service);
    if (sidecars.why) return { applied: notConfirmed(sidecars.why), heal: async () => confirmed("nothing was changed") };
    // With a data plane, this needs a DestinationRule patch (pool) or a bad replica (outlier) and Envoy's counters: not built yet.
    return {
      applied: notConfirmed(`${fault.mesh} with a real data plane is not implemented yet (sidecars found on ${sidecars.pods.join(", ")}): nothing was changed`),
      heal: async () => confirmed("nothing was changed"),
    };
  }


  async verify(accepted: Parameters<Session["verify"]>[0], log: StepLog, restWithinMs: number) {
    if (this.dryRun || !this.connection) {
      log(`would poll GET ${this.forwards.urls.orders}/metrics (and catalog, inventory, payments) for outbox_backlog and saga_pending, and:`);
      await this.ops.listPods(selectorOf(kafkaStatefulSet));
      await this.ops.exec("kafka-0", "kafka", consumerGroupsCommand);
      log("would read the snapshot through the audit RPCs on the forwarded ports and check the seven invariants (checkInvariants)");
      return { rest: true, results: [], pass: true };
    }
    return this.connection.verify(accepted, restWithinMs);
  }

  orderOutcomes() {
    return readOrderOutcomes(createSystemClients({ ORDERS_URL: this.forwards.urls.orders }));
  }

  async close(): Promise<void> {}
}

/** Several faults made together: applied when all are; healed together. */
function combine(parts: Injected[]): Injected {
  if (parts.length === 1) return parts[0]!;
  return {
    applied: { confirmed: parts.every((p) => p.applied.confirmed), evidence: parts.map((p) => p.applied.evidence).join("; ") },
    heal: async () => {
      const healed = await Promise.all(parts.map((p) => p.heal()));
      return { confirmed: healed.every((h) => h.confirmed), evidence: healed.map((h) => h.evidence).join("; ") };
    },
  };
}

/** The local cluster (make cluster-up) runs PostgreSQL as a host process of our own: its outage is ours to make. */
async function localClusterPostgres(context: string): Promise<PostgresHandle | undefined> {
  if (context !== clusterProfiles.local.context) return undefined;
  const profile = clusterProfiles.local;
  return startPostgres({ profile: externalsProfile, detached: true, alsoListen: { address: nodeAddress(profile), cidr: profile.podCidr }, log: () => {} });
}
