// The local target: every service as a real process (startTestStack, the
// stack the end-to-end tests run), on a real PostgreSQL, a Kafka broker of the
// run's own (profile "scenarios", so that it can be stopped) and Toxiproxy in
// the middle of every edge: service to service, service to PostgreSQL,
// service to Kafka (local-topology.ts has the layout and why Kafka needs a
// listener per proxied service). Each scenario gets a fresh stack (fresh
// databases, topic prefix and consumer groups) and a Toxiproxy without toxics,
// so one scenario's damage cannot leak into the next verdict.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { serviceNames, services, type ServiceName } from "@meshmart/topology";
import { startKafka, type KafkaHandle } from "@meshmart/infra/kafka";
import { startPostgres, type PostgresHandle } from "@meshmart/infra/postgres";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { startToxiproxy, type ToxiproxyHandle } from "@meshmart/infra/toxiproxy";
import { defaultPorts, portFromEnv } from "@meshmart/infra/ports";
import type { Kafka } from "kafkajs";
import { kafkaClient } from "../dlq/dead-letters.ts";
import { metricValue, readRest } from "../rest.ts";
import { createSystemClients } from "../system-clients.ts";
import { startTestStack } from "../test-stack.ts";
import { KafkaEventBus } from "@meshmart/platform";
import { describeEdge, edgeName, type Fault } from "./fault.ts";
import { closeDatabase, stopKafka, stopPostgres } from "./local-data-faults.ts";
import { poisonAndRedrive, redeliveryStorm } from "./local-event-faults.ts";
import { addToxic, cutEdge, refundsThroughRetryingProxy } from "./local-network-faults.ts";
import { crashPoint, killAndRebuildProjection, killProcesses, rebalanceStorm } from "./local-process-faults.ts";
import { isReady, metricsText, putFaults, urlOf, type LocalStack } from "./local-stack.ts";
import { localTopology, type LocalTopology } from "./local-topology.ts";
import { readSample } from "./metrics-sampler.ts";
import { readOrderOutcomes } from "./order-outcomes.ts";
import type { ScenarioDefinition } from "./scenario-definitions.ts";
import type { FaultContext, Injected, Session, StepLog, Target } from "./target.ts";
import { confirmed, notConfirmed, type Confirmation } from "./verdict.ts";

export const localProfile = "scenarios";

/** The sum of `rpc_client_requests_total{service=<rpcService>,code="unavailable"}` a service reports. */
async function unavailableCallsTo(url: string, rpcService: string): Promise<number> {
  return metricValue(await metricsText(url), "rpc_client_requests_total", { service: rpcService, code: "unavailable" });
}

export class LocalTarget implements Target {
  readonly name = "local" as const;
  private postgres: PostgresHandle | undefined;
  private kafka: KafkaHandle | undefined;
  private toxiproxy: ToxiproxyHandle | undefined;
  private admin: Kafka | undefined;
  readonly topology: LocalTopology;

  constructor(
    readonly dryRun: boolean,
    readonly profile = localProfile,
  ) {
    this.topology = localTopology(portFromEnv("MESHMART_TOXIPROXY_PORT") ?? defaultPorts(profile).toxiproxy);
  }

  async open(log: StepLog): Promise<void> {
    const t = this.topology;
    if (this.dryRun) {
      log(`would start PostgreSQL (startPostgres profile ${this.profile}) and a Kafka broker of our own (startKafka profile ${this.profile}, own: true) with ${t.kafkaListeners.length} listeners advertising Toxiproxy (ports ${t.kafkaListeners[0]!.port}..)`);
      log(`would start Toxiproxy (API 127.0.0.1:${t.base}) with ${t.proxies(0).length} proxies: svc-* ${t.proxyPort({ to: "service", service: "gateway" })}.., pg-* ${t.proxyPort({ to: "postgres", service: "gateway" })}.., kafka-* ${t.proxyPort({ to: "kafka", service: "gateway" })}..`);
      return;
    }
    log(`starting PostgreSQL, an own Kafka broker and Toxiproxy (profile ${this.profile}, data in .local/${this.profile}; ports from ${t.base})`);
    const infraLog = (line: string) => log(`  [infra] ${line}`);
    const [postgres, kafka, toxiproxy] = await Promise.all([
      startPostgres({ profile: this.profile, log: infraLog }),
      startKafka({ profile: this.profile, own: true, log: infraLog, extraListeners: t.kafkaListeners }),
      startToxiproxy({ profile: this.profile, port: t.base, log: infraLog }),
    ]);
    this.postgres = postgres;
    this.kafka = kafka;
    this.toxiproxy = toxiproxy;
    this.admin = kafkaClient(kafka.brokers);
    const pgPort = Number(new URL(postgres.adminUrl).port);
    await toxiproxy.ensureProxies(t.proxies(pgPort));
    process.env.MESHMART_TEST_PG_URL = postgres.adminUrl; // createTestDatabase (startTestStack) reads it
    log(`infrastructure ready: ${postgres.adminUrl.replace(/\/\/[^@]*@/, "//")}, Kafka ${kafka.brokers.join(",")}, Toxiproxy ${toxiproxy.apiUrl} (${t.proxies(pgPort).length} proxies)`);
  }

  async close(log: StepLog): Promise<void> {
    if (this.dryRun) return;
    log("stopping Toxiproxy, Kafka and PostgreSQL");
    await Promise.allSettled([this.toxiproxy?.stop(), this.kafka?.stop(), this.postgres?.stop()]);
  }

  async session(scenario: ScenarioDefinition, log: StepLog, outputDir?: string): Promise<Session> {
    if (this.dryRun) return dryRunSession(scenario, this.topology, log);
    const { kafka, postgres, toxiproxy, admin } = this;
    if (!kafka || !postgres || !toxiproxy || !admin) throw new Error("the local target is not open");
    await toxiproxy.reset(); // every proxy enabled, no toxic
    const env = Object.entries(scenario.serviceEnv ?? {}).map(([name, vars]) => `${name}: ${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    log(`starting the stack: ${serviceNames.length} services as processes, fresh databases and topic prefix, every edge through Toxiproxy${env.length ? ` (${env.join("; ")})` : ""}`);
    const topology = this.topology;
    // What the services print (their warnings, errors and crash traces) is kept beside the journal:
    // the verdict says what broke, this says why.
    const output = outputDir ? await openServiceOutput(path.join(outputDir, `${scenario.name}.services.log`)) : undefined;
    const stack = await startTestStack({
      brokers: kafka.brokers,
      ports: topology.servicePort,
      envFor: (name, databaseUrl) => topology.serviceEnv(name, databaseUrl),
      serviceEnv: scenario.serviceEnv,
      onLine: output?.write,
    }).catch(async (err: unknown) => {
      await output?.close();
      throw err;
    });
    log(`stack ready: gateway ${topology.gatewayUrl} (through svc-gateway), topic prefix ${stack.topicPrefix}${output ? `; service output in ${path.relative(process.cwd(), output.file)}` : ""}`);
    return new LocalSession({ stack, postgres, kafka, admin, toxiproxy, topology, log }, output);
  }
}

/** An append-only file of every line the services print, each prefixed with its service. */
async function openServiceOutput(file: string): Promise<{ file: string; write: (name: ServiceName, line: string) => void; close: () => Promise<void> }> {
  await mkdir(path.dirname(file), { recursive: true });
  const stream = createWriteStream(file, { flags: "a" });
  return {
    file,
    write: (name, line) => void stream.write(`${new Date().toISOString()} [${name}] ${line}\n`),
    close: () => new Promise<void>((resolve) => stream.end(resolve)),
  };
}

class LocalSession implements Session {
  readonly gatewayUrl: string;

  constructor(
    private readonly local: LocalStack,
    private readonly output?: { close: () => Promise<void> },
  ) {
    this.gatewayUrl = local.topology.gatewayUrl;
  }

  token(customerId: string): Promise<string> {
    return devTokenFor(customerId);
  }

  async steadyState(): Promise<Confirmation> {
    const { stack, kafka } = this.local;
    const ready = await Promise.all(serviceNames.map((name) => isReady(urlOf(this.local, name))));
    if (!ready.every(Boolean)) return notConfirmed(`not ready: ${serviceNames.filter((_, i) => !ready[i]).join(", ")}`);
    const throughProxy = await isReady(this.gatewayUrl);
    if (!throughProxy) return notConfirmed(`the gateway does not answer through its proxy (${this.gatewayUrl})`);
    const bus = new KafkaEventBus({ brokers: kafka.brokers, clientId: "scenario-steady-state" });
    try {
      const urls = stack.processes.urls;
      const reading = await readRest({ urls, brokers: kafka.brokers, topicPrefix: stack.topicPrefix, groupPrefix: stack.topicPrefix }, bus);
      const busy = [
        ...Object.entries(reading.outboxBacklog).filter(([, n]) => n > 0).map(([s, n]) => `${s} outbox ${n}`),
        ...Object.entries(reading.consumerLag).filter(([, n]) => n > 0).map(([s, n]) => `${s} lag ${n}`),
        ...(reading.sagasPending > 0 ? [`${reading.sagasPending} sagas pending`] : []),
      ];
      return busy.length === 0 ? confirmed("every service ready (directly and through its proxy), outboxes empty, consumer lag 0, no saga pending") : notConfirmed(`not at rest: ${busy.join(", ")}`);
    } finally {
      await bus.close();
    }
  }

  async inject(fault: Fault, context: FaultContext): Promise<Injected> {
    const local = this.local;
    switch (fault.kind) {
      case "process-kill":
        return killProcesses(local, fault);
      case "crash-point":
        return crashPoint(local, fault, context.holdMs);
      case "rebalance-storm":
        return rebalanceStorm(local, fault);
      case "projection-rebuild":
        return killAndRebuildProjection(local);
      case "kafka-outage":
        return stopKafka(local);
      case "postgres-outage":
        return stopPostgres(local, fault);
      case "database-outage":
        return closeDatabase(local, fault);
      case "redelivery-storm":
        return redeliveryStorm(local, fault);
      case "poison-message":
        return poisonAndRedrive(local, fault);
      case "toxic":
      case "client-retry-storm":
        return addToxic(local, fault.edge, fault.toxic);
      case "edge-cut":
        return cutEdge(local, fault.edge);
      case "retrying-proxy":
        return refundsThroughRetryingProxy(local, fault, context);
      case "fault-switch":
        return this.faultSwitch(fault, context);
      case "mesh":
      case "mesh-abort":
        return {
          applied: notConfirmed("no mesh data plane on the local target: Istio faults act in Envoy sidecars, and none runs here"),
          heal: async () => confirmed("nothing was changed"),
        };
    }
  }

  private async faultSwitch(fault: Fault & { kind: "fault-switch" }, context: FaultContext): Promise<Injected> {
    const url = urlOf(this.local, fault.service);
    // Outside the mesh the callers' Connect clients retry an unavailable callee themselves
    // (services/platform/src/client-policy.ts), so the load client may see no 503: the tries
    // the callers' clients counted as unavailable are the evidence, as the sidecars' counters are on kind.
    const callers = serviceNames.filter((name) => (services[name].calls as readonly string[]).includes(fault.service));
    const rpcService = services[fault.service].rpcService;
    const countUnavailable = async () => {
      let sum = 0;
      for (const caller of callers) sum += rpcService ? await unavailableCallsTo(urlOf(this.local, caller), rpcService) : 0;
      return sum;
    };
    const failsUnavailable = /fail:unavailable/.test(fault.rules) && callers.length > 0;
    const baseline = failsUnavailable ? await countUnavailable().catch(() => 0) : 0;
    this.local.log(`PUT ${url}/admin/faults "${fault.rules}"`);
    const applied = await putFaults(url, fault.rules);
    const timers = (fault.steps ?? []).map((step) =>
      setTimeout(() => {
        if (step.afterMs > context.holdMs) return;
        this.local.log(`PUT ${url}/admin/faults "${step.rules}" (+${step.afterMs / 1000} s)`);
        void putFaults(url, step.rules).then((c) => this.local.log(`  ${c.confirmed ? "" : "NOT "}applied: ${c.evidence}`), () => {});
      }, step.afterMs),
    );
    return {
      applied,
      ...(failsUnavailable
        ? {
            observe: async () => {
              this.local.log(`reading /metrics of ${callers.join(", ")} (their calls to ${fault.service} answered unavailable)`);
              const now = await countUnavailable().catch((err: Error) => err);
              if (now instanceof Error) return notConfirmed(`cannot read the callers' metrics: ${now.message}`);
              return now > baseline
                ? confirmed(`${callers.join(", ")} counted ${now - baseline} call(s) to ${fault.service} answered unavailable (rpc_client_requests_total), retried by their client policy`)
                : notConfirmed(`${callers.join(", ")} counted no call to ${fault.service} answered unavailable`);
            },
          }
        : {}),
      heal: async () => {
        for (const timer of timers) clearTimeout(timer);
        this.local.log(`PUT ${url}/admin/faults "" (fault switch off)`);
        return putFaults(url, "");
      },
    };
  }

  verify(accepted: Parameters<Session["verify"]>[0], log: StepLog, restWithinMs: number) {
    return this.local.stack.verify(accepted, log, restWithinMs);
  }

  sample() {
    return readSample(this.local.stack.processes.urls, 0);
  }

  orderOutcomes() {
    return readOrderOutcomes(createSystemClients({ ORDERS_URL: this.local.stack.processes.urls.orders }));
  }

  async close(): Promise<void> {
    this.local.log("stopping the stack");
    await this.local.stack.stop();
    await this.output?.close();
    await sleep(200); // let the ports go before the next stack binds them
  }
}

/** What a local scenario would do, printed; nothing runs. */
function dryRunSession(scenario: ScenarioDefinition, topology: LocalTopology, log: StepLog): Session {
  const describe = (fault: Fault): { inject: string; heal: string } => {
    switch (fault.kind) {
      case "process-kill":
        return {
          inject: `${fault.services.map((s) => `ServiceProcesses.kill("${s}", "${fault.signal}")`).join(" and ")}, then GET /healthz must be refused${fault.sagasPending ? " (after orders' saga_pending > 0)" : ""}`,
          heal: `${fault.services.map((s) => `ServiceProcesses.start("${s}")`).join(" and ")} after ${fault.downMs / 1000} s, then GET /readyz`,
        };
      case "kafka-outage":
        return { inject: "KafkaHandle.stop(), then the broker port must be closed", heal: "KafkaHandle.start(), then the broker port must be open" };
      case "postgres-outage":
        return { inject: `PostgresHandle.${fault.mode}(), then a new connection must fail`, heal: "PostgresHandle.start(), then SELECT 1 must answer" };
      case "database-outage":
        return { inject: `ALTER DATABASE <${fault.service} db> WITH ALLOW_CONNECTIONS false, pg_terminate_backend of its sessions`, heal: "ALTER DATABASE ... ALLOW_CONNECTIONS true" };
      case "crash-point":
        return { inject: `PUT ${fault.service}/admin/faults "${fault.rules}", then ${fault.service}'s pid must be gone`, heal: `ServiceProcesses.start("${fault.service}")` };
      case "toxic":
      case "client-retry-storm":
        return {
          inject: `POST ${`http://127.0.0.1:${topology.base}`}/proxies/${edgeName(fault.edge)}/toxics ${JSON.stringify({ type: fault.toxic.type, stream: fault.toxic.stream ?? "downstream", attributes: fault.toxic.attributes })} (${describeEdge(fault.edge)}), read it back, probe through 127.0.0.1:${topology.proxyPort(fault.edge)}`,
          heal: `DELETE /proxies/${edgeName(fault.edge)}/toxics/scenario-${fault.toxic.type}`,
        };
      case "edge-cut":
        return { inject: `POST /proxies/${edgeName(fault.edge)} {"enabled": false}, a probe through it must be refused`, heal: `POST /proxies/${edgeName(fault.edge)} {"enabled": true}` };
      case "projection-rebuild":
        return { inject: 'ServiceProcesses.kill("history", "SIGKILL"), start it again, POST history/admin/projection/rebuild', heal: "GET /readyz of history" };
      case "redelivery-storm":
        return { inject: `SIGTERM ${fault.services.join(", ")}, admin.resetOffsets(earliest) of their groups, start them`, heal: "GET /readyz of each" };
      case "poison-message":
        return { inject: `publish ${fault.count} undecodable messages to <prefix>${fault.topic}; PUT ${fault.failing.service}/admin/faults "${fault.failing.rules}"`, heal: `fault switch off, redrive the valid letters ${fault.failing.service} dead-lettered from <prefix>${fault.topic}.dlq (and again after rest)` };
      case "retrying-proxy":
        return { inject: `PUT payments/admin/faults "provider:charge=stall:250"; start the repeating proxy on 127.0.0.1:${topology.retryingProxyPort} (each ${fault.method} sent ${1 + fault.repeats} times); cancel accepted orders and refund the cancelled ones through it`, heal: "stop the proxy; fault switch off" };
      case "rebalance-storm":
        return { inject: `${fault.cycles} cycles: start ${fault.extra} more ${fault.service} processes on ${topology.extraPort(0)}.., stop them ${fault.periodMs / 1000} s later`, heal: "wait for the cycles to end, the group back at 1 member" };
      case "fault-switch":
        return { inject: `PUT ${fault.service}/admin/faults "${fault.rules}"${(fault.steps ?? []).map((s) => `, +${s.afterMs / 1000} s "${s.rules}"`).join("")}, then GET must read the rules back`, heal: `PUT ${fault.service}/admin/faults "", then GET must read no rule` };
      case "mesh":
      case "mesh-abort":
        return { inject: "nothing: no mesh data plane on the local target (NOT-INJECTED)", heal: "nothing" };
    }
  };
  log(`would start the stack (startTestStack: ${serviceNames.length} service processes on ${topology.servicePort.gateway}.., fresh databases, topic prefix)${scenario.serviceEnv ? ` with ${JSON.stringify(scenario.serviceEnv)}` : ""}`);
  return {
    gatewayUrl: topology.gatewayUrl,
    token: async () => "<dev token>",
    steadyState: async () => confirmed("dry run"),
    inject: async (fault) => {
      const plan = describe(fault);
      log(`would ${plan.inject}`);
      return {
        applied: confirmed("dry run"),
        heal: async () => {
          log(`would ${plan.heal}`);
          return confirmed("dry run");
        },
      };
    },
    verify: async () => ({ rest: true, results: [], pass: true }),
    orderOutcomes: async () => new Map(),
    close: async () => log("would stop the stack"),
  };
}
