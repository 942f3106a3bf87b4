// The local target: every service as a real process (startTestStack, the same
// stack the end-to-end tests run), on a real PostgreSQL and a Kafka broker of
// the run's own (profile "scenarios"), so that the broker can be stopped. Each
// scenario gets a fresh stack (fresh databases, topic prefix and consumer
// groups), so one scenario's damage cannot leak into the next verdict.
// Faults: SIGKILL / SIGTERM of a process, the broker stopped, and the fault
// switch through PUT /admin/faults (FAULT_ADMIN is on in the test stack).
import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceName } from "@meshmart/topology";
import { startKafka, type KafkaHandle } from "@meshmart/infra/kafka";
import { startPostgres, type PostgresHandle } from "@meshmart/infra/postgres";
import { isPortOpen } from "@meshmart/infra/processes";
import { devTokenFor } from "@meshmart/infra/stack/dev-env";
import { createSystemClients } from "../system-clients.ts";
import { startTestStack, type TestStack } from "../test-stack.ts";
import { readOrderOutcomes } from "./order-outcomes.ts";
import type { Fault, ScenarioDefinition } from "./scenario-definitions.ts";
import type { Injected, Session, StepLog, Target } from "./target.ts";
import { confirmed, notConfirmed, type Confirmation } from "./verdict.ts";

export const localProfile = "scenarios";

/** Rules for the fault switch of the service a fault-switch fault targets. */
export function faultSwitchRules(fault: Fault): { service: ServiceName; rules: string } | undefined {
  switch (fault.kind) {
    case "payment-stall":
      return { service: "payments", rules: `event:PaymentRequested=stall:${fault.stallMs}` };
    case "catalog-errors":
      return { service: "catalog", rules: fault.methods.map((m) => `${m}=fail:unavailable@${fault.fraction}`).join(",") };
    default:
      return undefined;
  }
}

async function refusesConnections(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return false;
  } catch {
    return true;
  }
}

/** The sum of `rpc_client_requests_total{service=<rpcService>,code="unavailable"}` a service reports. */
async function unavailableCallsTo(url: string, rpcService: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`GET ${url}/metrics answered ${res.status}`);
  let sum = 0;
  for (const line of (await res.text()).split("\n")) {
    if (line.startsWith("rpc_client_requests_total{") && line.includes(`service="${rpcService}"`) && line.includes('code="unavailable"')) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

async function putFaults(url: string, rules: string): Promise<Confirmation> {
  const put = await fetch(`${url}/admin/faults`, { method: "PUT", body: rules, signal: AbortSignal.timeout(5_000) });
  if (put.status !== 200) return notConfirmed(`PUT ${url}/admin/faults answered ${put.status}: ${await put.text()}`);
  const active = ((await (await fetch(`${url}/admin/faults`)).json()) as { faults?: unknown[] }).faults ?? [];
  const expected = rules.split(",").filter((r) => r.trim()).length;
  return active.length === expected
    ? confirmed(rules ? `fault switch reads back ${active.length} rule(s): ${rules}` : "fault switch reads back no rule")
    : notConfirmed(`fault switch reads back ${active.length} rule(s), expected ${expected}`);
}

export class LocalTarget implements Target {
  readonly name = "local" as const;
  private postgres: PostgresHandle | undefined;
  private kafka: KafkaHandle | undefined;

  constructor(readonly dryRun: boolean) {}

  async open(log: StepLog): Promise<void> {
    if (this.dryRun) {
      log(`would start PostgreSQL (startPostgres profile ${localProfile}) and a Kafka broker of our own (startKafka profile ${localProfile}, own: true)`);
      return;
    }
    log(`starting PostgreSQL and an own Kafka broker (profile ${localProfile}, data in .local/${localProfile})`);
    const infraLog = (line: string) => log(`  [infra] ${line}`);
    const [postgres, kafka] = await Promise.all([
      startPostgres({ profile: localProfile, log: infraLog }),
      startKafka({ profile: localProfile, own: true, log: infraLog }),
    ]);
    this.postgres = postgres;
    this.kafka = kafka;
    process.env.MESHMART_TEST_PG_URL = postgres.adminUrl; // createTestDatabase (startTestStack) reads it
    log(`infrastructure ready: ${postgres.adminUrl.replace(/\/\/[^@]*@/, "//")}, Kafka ${kafka.brokers.join(",")}`);
  }

  async close(log: StepLog): Promise<void> {
    if (this.dryRun) return;
    log("stopping Kafka and PostgreSQL");
    await Promise.allSettled([this.kafka?.stop(), this.postgres?.stop()]);
  }

  async session(scenario: ScenarioDefinition, log: StepLog): Promise<Session> {
    if (this.dryRun) return dryRunSession(scenario, log);
    const kafka = this.kafka;
    if (!kafka) throw new Error("the local target is not open");
    const env = Object.entries(scenario.localServiceEnv ?? {}).map(([name, vars]) => `${name}: ${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    log(`starting the stack: 6 services as processes, fresh databases and topic prefix${env.length ? ` (${env.join("; ")})` : ""}`);
    const stack = await startTestStack({
      brokers: kafka.brokers,
      env: { KAFKA_BROKERS: kafka.brokers.join(",") },
      serviceEnv: scenario.localServiceEnv,
    });
    log(`stack ready: gateway ${stack.processes.urls.gateway}, topic prefix ${stack.topicPrefix}`);
    return new LocalSession(stack, kafka, log);
  }
}

class LocalSession implements Session {
  readonly gatewayUrl: string;

  constructor(
    private readonly stack: TestStack,
    private readonly kafka: KafkaHandle,
    private readonly log: StepLog,
  ) {
    this.gatewayUrl = stack.processes.urls.gateway;
  }

  token(customerId: string): Promise<string> {
    return devTokenFor(customerId);
  }

  async inject(fault: Fault): Promise<Injected> {
    const { processes } = this.stack;
    switch (fault.kind) {
      case "pod-kill":
      case "scale-to-zero": {
        const signal = fault.kind === "pod-kill" ? "SIGKILL" : "SIGTERM";
        const url = processes.urls[fault.service];
        this.log(`${signal} ${fault.service} (${url})`);
        const code = await processes.kill(fault.service, signal);
        const down = await refusesConnections(url);
        return {
          applied: down
            ? confirmed(`${fault.service} exited on ${signal} (${code === null ? "killed by the signal" : `exit code ${code}`}); ${url}/healthz refuses connections`)
            : notConfirmed(`${fault.service} still answers ${url}/healthz after ${signal}`),
          heal: async () => {
            this.log(`starting ${fault.service} again`);
            await processes.start(fault.service);
            const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
            return ready ? confirmed(`${fault.service} restarted and ready`) : notConfirmed(`${fault.service} is not ready after the restart`);
          },
        };
      }
      case "kafka-outage": {
        const port = Number(this.kafka.brokers[0]!.split(":").at(-1));
        this.log(`stopping the Kafka broker ${this.kafka.brokers.join(",")}`);
        await this.kafka.stop();
        const down = !(await isPortOpen(port));
        return {
          applied: down ? confirmed(`broker stopped: port ${port} refuses connections`) : notConfirmed(`port ${port} still accepts connections after the stop`),
          heal: async () => {
            this.log("starting the Kafka broker again (same data directory)");
            await this.kafka.start();
            return (await isPortOpen(port)) ? confirmed(`broker back on port ${port} and ready`) : notConfirmed(`broker not listening on ${port}`);
          },
        };
      }
      case "payment-stall":
      case "catalog-errors": {
        const { service, rules } = faultSwitchRules(fault)!;
        const url = processes.urls[service];
        // Outside the mesh orders' catalog client retries an unavailable catalog itself
        // (client-policy.ts), so the gateway's client may see no 503: the tries it
        // counted are the evidence, as the sidecars' counters are on kind.
        const catalogUnavailable = () => unavailableCallsTo(processes.urls.orders, "meshmart.catalog.v1.CatalogService");
        const baseline = fault.kind === "catalog-errors" ? await catalogUnavailable().catch(() => 0) : 0;
        this.log(`PUT ${url}/admin/faults "${rules}"`);
        const applied = await putFaults(url, rules);
        return {
          applied,
          ...(fault.kind === "catalog-errors"
            ? {
                observe: async () => {
                  this.log(`reading GET ${processes.urls.orders}/metrics (orders' calls to catalog answered unavailable)`);
                  const now = await catalogUnavailable().catch((err: Error) => err);
                  if (now instanceof Error) return notConfirmed(`cannot read orders' metrics: ${now.message}`);
                  return now > baseline
                    ? confirmed(`orders' client counted ${now - baseline} catalog call(s) answered unavailable (rpc_client_requests_total), retried by its client policy`)
                    : notConfirmed("orders' client counts no catalog call answered unavailable");
                },
              }
            : {}),
          heal: async () => {
            this.log(`PUT ${url}/admin/faults "" (fault switch off)`);
            return putFaults(url, "");
          },
        };
      }
    }
  }

  verify(accepted: Parameters<TestStack["verify"]>[0], log: StepLog) {
    return this.stack.verify(accepted, log);
  }

  orderOutcomes() {
    return readOrderOutcomes(createSystemClients({ ORDERS_URL: this.stack.processes.urls.orders }));
  }

  async close(): Promise<void> {
    this.log("stopping the stack");
    await this.stack.stop();
    await sleep(200); // let the ports go before the next stack binds new ones
  }
}

/** What a local scenario would do, printed; nothing runs. */
function dryRunSession(scenario: ScenarioDefinition, log: StepLog): Session {
  const describe = (fault: Fault): { inject: string; heal: string } => {
    switch (fault.kind) {
      case "pod-kill":
        return { inject: `ServiceProcesses.kill("${fault.service}", "SIGKILL"), then GET /healthz must be refused`, heal: `ServiceProcesses.start("${fault.service}"), then GET /readyz` };
      case "scale-to-zero":
        return { inject: `ServiceProcesses.kill("${fault.service}", "SIGTERM"), then GET /healthz must be refused`, heal: `ServiceProcesses.start("${fault.service}"), then GET /readyz` };
      case "kafka-outage":
        return { inject: "KafkaHandle.stop(), then the broker port must be closed", heal: "KafkaHandle.start(), then the broker port must be open" };
      default: {
        const { service, rules } = faultSwitchRules(fault)!;
        return { inject: `PUT ${service}/admin/faults "${rules}", then GET must read the rules back`, heal: `PUT ${service}/admin/faults "", then GET must read no rule` };
      }
    }
  };
  log(`would start the stack (startTestStack: 6 service processes, fresh databases, topic prefix)${scenario.localServiceEnv ? ` with ${JSON.stringify(scenario.localServiceEnv)}` : ""}`);
  return {
    gatewayUrl: "http://127.0.0.1:<gateway port>",
    token: async () => "<dev token>",
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
