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
import { serviceNames, services, type ServiceName } from "@meshmart/topology";
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
import { isPortOpen } from "@meshmart/infra/processes";
import { dryRunOps } from "./kube-dry-run.ts";
import { CallLog, loggedOps, type EnvVar, type JsonPatch, type KubeOps, type WorkloadStatus } from "../cluster/kube-ops.ts";
import { readOrderOutcomes } from "./order-outcomes.ts";
import type { Fault, ScenarioDefinition } from "./scenario-definitions.ts";
import type { Injected, Session, StepLog, Target } from "./target.ts";
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
export const faultRouteName = "scenario-catalog-errors";
const selectorOf = (app: string) => `app.kubernetes.io/name=${app}`;

/**
 * The route the catalog-errors scenario puts first on catalog's VirtualService:
 * the faulted methods' exact paths, the service's destination and timeout
 * (from the same builder as the deployed policy), and an abort of `fraction`
 * of the requests with 503. Istio does not retry a route with a fault.
 */
export function catalogFaultRoute(fault: Fault & { kind: "catalog-errors" }, namespace: string): Record<string, unknown> {
  const catalog = services.catalog;
  const deployed = serviceVirtualService(catalog, meshOptions({ namespace }));
  const fallback = deployed.spec!.http!.at(-1)!;
  return {
    name: faultRouteName,
    match: fault.methods.map((method) => ({ uri: { exact: rpcPath(catalog.rpcService!, method) } })),
    route: fallback.route,
    timeout: fallback.timeout,
    fault: { abort: { percentage: { value: Math.round(fault.fraction * 1000) / 10 }, httpStatus: 503 } },
  };
}

/** catalog's VirtualService with the fault route first (validated against the Istio schema). */
export function faultedCatalogRoutes(current: Array<Record<string, unknown>>, fault: Fault & { kind: "catalog-errors" }, namespace: string) {
  const http = [catalogFaultRoute(fault, namespace), ...current.filter((route) => route.name !== faultRouteName)];
  new VirtualService({
    metadata: { name: "catalog", namespace },
    spec: { hosts: [`catalog.${namespace}.svc.cluster.local`], http: http },
  }).validate();
  return http;
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

  async session(_scenario: ScenarioDefinition, log: StepLog): Promise<Session> {
    if (!this.raw || !this.forwards) throw new Error("the kind target is not open");
    const calls = new CallLog(log);
    const session = new KindSession(loggedOps(this.raw, calls), this.forwards, this.gatewayUrl, this.options, this.dryRun, (line) => calls.step(line), this.connection);
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

  async inject(fault: Fault): Promise<Injected> {
    switch (fault.kind) {
      case "pod-kill":
        return this.killPod(fault.service);
      case "scale-to-zero":
        return this.scaleDeploymentToZero(fault.service);
      case "kafka-outage":
        return this.kafkaOutside ? this.stopHostKafka() : this.scaleKafkaToZero();
      case "payment-stall":
        return this.stallPayments(fault);
      case "catalog-errors":
        return this.abortCatalog(fault);
    }
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

  private async stallPayments(fault: Fault & { kind: "payment-stall" }): Promise<Injected> {
    const changes: Array<[ServiceName, string, string]> = [
      ["orders", "SAGA_TIMEOUT_MS", String(fault.sagaTimeoutMs)],
      ["payments", "FAULTS", `event:PaymentRequested=stall:${fault.stallMs}`],
    ];
    const reverts: Array<[ServiceName, JsonPatch]> = [];
    const heal = async (): Promise<Confirmation> => {
      this.log("restoring the environment of orders and payments");
      for (const [deployment, patch] of reverts.splice(0).reverse()) await this.ops.patchDeployment(deployment, patch);
      for (const [deployment] of changes) {
        if (!(await this.rollout(deployment))) return notConfirmed(`${deployment} did not roll back out within 300 s`);
      }
      return confirmed("FAULTS and SAGA_TIMEOUT_MS removed again; payments and orders rolled out");
    };
    try {
      this.log("patching the environment of orders and payments (a rolling update each)");
      for (const [deployment, name, value] of changes) reverts.push([deployment, await this.setEnv(deployment, name, value)]);
      for (const [deployment] of changes) {
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

  private async faultAborts(): Promise<number> {
    const pods = (await this.ops.listPods(selectorOf("orders"))).filter((p) => p.ready && !p.terminating);
    let sum = 0;
    for (const pod of pods) sum += countFaultAborts(await this.ops.exec(pod.name, "istio-proxy", ["pilot-agent", "request", "GET", "stats/prometheus"]), "catalog");
    return sum;
  }

  private async abortCatalog(fault: Fault & { kind: "catalog-errors" }): Promise<Injected> {
    const { namespace } = this.options;
    const clients = (await this.ops.listPods(selectorOf("orders"))).filter((p) => p.ready && !p.terminating);
    if (!clients.some((p) => p.containers.includes("istio-proxy"))) {
      // A VirtualService fault is applied by the callers' Envoy sidecars; without them it is a stored object that acts on nothing.
      return {
        applied: notConfirmed("no Istio data plane: the orders pods have no istio-proxy sidecar (no Envoy runs on this cluster), so a VirtualService fault cannot act"),
        heal: async () => confirmed("nothing was changed"),
      };
    }
    this.log("reading the orders sidecars' injected-fault counters (baseline)");
    const baseline = await this.faultAborts().catch(() => undefined);
    this.log("adding the fault route to catalog's VirtualService");
    const current = await this.ops.getVirtualService("catalog");
    const original = current.http.filter((route) => route.name !== faultRouteName);
    const http = faultedCatalogRoutes(original, fault, namespace);
    await this.ops.patchVirtualService("catalog", [
      { op: "test", path: "/metadata/resourceVersion", value: current.resourceVersion },
      { op: "replace", path: "/spec/http", value: http },
    ]);
    const heal = async (): Promise<Confirmation> => {
      this.log("removing the fault route from catalog's VirtualService");
      const now = await this.ops.getVirtualService("catalog");
      await this.ops.patchVirtualService("catalog", [
        { op: "test", path: "/metadata/resourceVersion", value: now.resourceVersion },
        { op: "replace", path: "/spec/http", value: now.http.filter((route) => route.name !== faultRouteName) },
      ]);
      const after = await this.ops.getVirtualService("catalog");
      return after.http.some((route) => route.name === faultRouteName || route.fault)
        ? notConfirmed("catalog's VirtualService still carries a fault")
        : confirmed(`catalog's VirtualService restored (${after.http.length} route(s), no fault)`);
    };
    this.log("reading catalog's VirtualService back");
    const readBack = await this.ops.getVirtualService("catalog");
    const first = readBack.http[0];
    const applied =
      first?.name === faultRouteName && first.fault !== undefined
        ? confirmed(`catalog's VirtualService carries route ${faultRouteName} (abort 503 for ${fault.fraction * 100}% of ${fault.methods.join(", ")}), resourceVersion ${readBack.resourceVersion}`)
        : notConfirmed("the fault route is not on catalog's VirtualService after the patch");
    return {
      applied,
      observe: async () => {
        this.log("reading the orders sidecars' injected-fault counters");
        const now = await this.faultAborts().catch((err: Error) => err);
        if (now instanceof Error) return notConfirmed(`cannot read the orders sidecars' stats: ${now.message}`);
        const delta = now - (baseline ?? 0);
        return delta > 0
          ? confirmed(`the orders sidecars answered ${delta} catalog call(s) with an injected abort (istio_requests_total, response_flags FI)`)
          : notConfirmed("the orders sidecars count no injected abort on calls to catalog (has Istio pushed the route?)");
      },
      heal,
    };
  }

  async verify(accepted: Parameters<Session["verify"]>[0], log: StepLog) {
    if (this.dryRun || !this.connection) {
      log(`would poll GET ${this.forwards.urls.orders}/metrics (and catalog, inventory, payments) for outbox_backlog and saga_pending, and:`);
      await this.ops.listPods(selectorOf(kafkaStatefulSet));
      await this.ops.exec("kafka-0", "kafka", consumerGroupsCommand);
      log("would read the snapshot through the audit RPCs on the forwarded ports and check the five invariants (checkInvariants)");
      return { rest: true, results: [], pass: true };
    }
    return this.connection.verify(accepted);
  }

  orderOutcomes() {
    return readOrderOutcomes(createSystemClients({ ORDERS_URL: this.forwards.urls.orders }));
  }

  async close(): Promise<void> {}
}
