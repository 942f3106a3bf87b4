// Process faults of the local target: SIGKILL/SIGTERM of services (with the
// check that sagas were pending at the kill, where the scenario asks), a
// service that kills itself at a test-only crash point of its fault switch,
// and extra instances joining and leaving a consumer group.
import { setTimeout as sleep } from "node:timers/promises";
import { isProcessAlive } from "@meshmart/infra/processes";
import type { ServiceProcesses } from "@meshmart/infra/stack/service-processes";
import { serviceNames, services, type ServiceName } from "@meshmart/topology";
import { metricValue } from "../rest.ts";
import type { Fault } from "./fault.ts";
import { groupMembers } from "./kafka-tools.ts";
import { duplicatesSkipped, isReady, metricsText, putFaults, refusesConnections, urlOf, type LocalStack } from "./local-stack.ts";
import type { Injected } from "./target.ts";
import { confirmed, notConfirmed, type Confirmation } from "./verdict.ts";

const consumersOfEvents: ServiceName[] = serviceNames.filter((name) => services[name].consumes.length > 0);

async function restart(local: LocalStack, names: ServiceName[]): Promise<Confirmation> {
  const { processes } = local.stack;
  local.log(`starting ${names.join(" and ")} again`);
  await Promise.all(names.map((name) => processes.start(name)));
  const ready = await Promise.all(names.map((name) => isReady(urlOf(local, name))));
  return ready.every(Boolean)
    ? confirmed(`${names.join(" and ")} restarted and ready`)
    : notConfirmed(`not ready after the restart: ${names.filter((_, i) => !ready[i]).join(", ")}`);
}

export async function killProcesses(local: LocalStack, fault: Fault & { kind: "process-kill" }): Promise<Injected> {
  const { processes } = local.stack;
  const evidence: string[] = [];
  if (fault.sagasPending) {
    const pending = metricValue(await metricsText(urlOf(local, "orders")), "saga_pending");
    if (pending === 0) {
      return { applied: notConfirmed("no saga was pending at the moment of the kill"), heal: async () => confirmed("nothing was changed") };
    }
    evidence.push(`${pending} saga(s) pending at the kill`);
  }
  local.log(`${fault.signal} ${fault.services.join(" and ")}`);
  const codes = await Promise.all(fault.services.map((name) => processes.kill(name, fault.signal)));
  const down = await Promise.all(fault.services.map((name) => refusesConnections(urlOf(local, name))));
  for (const [i, name] of fault.services.entries()) {
    evidence.push(down[i] ? `${name} exited on ${fault.signal} (${codes[i] === null ? "killed by the signal" : `exit code ${codes[i]}`}), its /healthz refuses connections` : `${name} still answers /healthz`);
  }
  return {
    applied: down.every(Boolean) ? confirmed(evidence.join("; ")) : notConfirmed(evidence.join("; ")),
    heal: () => restart(local, fault.services),
  };
}

/**
 * The projection's consumer killed mid-load, then the projection rebuilt from
 * scratch while the load goes on (POST /admin/projection/rebuild, which answers
 * once the consumer reads again from the start of every topic). The rest check
 * that follows waits for its lag to reach 0; invariant 7 then compares it with
 * the services' own records.
 */
export async function killAndRebuildProjection(local: LocalStack): Promise<Injected> {
  const killed = await killProcesses(local, { kind: "process-kill", services: ["history"], signal: "SIGKILL", downMs: 0 });
  if (!killed.applied.confirmed) return killed;
  const restarted = await killed.heal();
  if (!restarted.confirmed) return { applied: notConfirmed(`${killed.applied.evidence}; ${restarted.evidence}`), heal: async () => restarted };
  const url = `${urlOf(local, "history")}/admin/projection/rebuild`;
  local.log(`POST ${url}`);
  const answer = await fetch(url, { method: "POST", signal: AbortSignal.timeout(120_000) }).then(
    async (res) => ({ status: res.status, body: await res.text() }),
    (err: Error) => ({ status: 0, body: err.message }),
  );
  const rebuilt = answer.status === 200;
  const evidence = `${killed.applied.evidence}; ${restarted.evidence}; POST /admin/projection/rebuild answered ${answer.status} ${answer.body.slice(0, 300)}`;
  return {
    applied: rebuilt ? confirmed(evidence) : notConfirmed(evidence),
    heal: async () => ((await isReady(urlOf(local, "history"))) ? confirmed("history ready, reading its topics again from the start") : notConfirmed("history not ready after the rebuild")),
  };
}

/** Rules with a crash point: the service must die by its own hand within the hold (or 10 s). */
export async function crashPoint(local: LocalStack, fault: Fault & { kind: "crash-point" }, holdMs: number): Promise<Injected> {
  const url = urlOf(local, fault.service);
  const pid = local.stack.processes.pid(fault.service);
  const before = await duplicatesSkipped(local, consumersOfEvents);
  local.log(`PUT ${url}/admin/faults "${fault.rules}"`);
  // The crash point can fire before the PUT (or its read-back) is answered: the relay is woken at once.
  // A cut-off answer from a process that then is gone is the crash point reached, not a failed injection.
  let rules = await putFaults(url, fault.rules).catch((err: Error) => notConfirmed(`PUT ${url}/admin/faults: ${err.message}`));
  if (!rules.confirmed) {
    for (let i = 0; i < 20 && pid !== undefined && isProcessAlive(pid); i++) await sleep(100);
    if (pid === undefined || isProcessAlive(pid)) return { applied: rules, heal: () => putFaults(url, "") };
    rules = confirmed(`${rules.evidence} (cut off: ${fault.service} died at once)`);
  }
  const deadline = Date.now() + Math.max(holdMs, 10_000);
  while (pid !== undefined && isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
  const died = pid !== undefined && !isProcessAlive(pid);
  return {
    applied: died
      ? confirmed(`${rules.evidence}; ${fault.service} (pid ${pid}) killed itself at the crash point`)
      : notConfirmed(`${fault.service} did not reach the crash point "${fault.rules}" within ${Math.max(holdMs, 10_000) / 1000} s`),
    heal: async () => {
      if (!died) await putFaults(url, "");
      await sleep(1_000);
      return restart(local, [fault.service]);
    },
    afterRest: async () => {
      // The restarted service's counters start at 0; the others' went on.
      const after = await duplicatesSkipped(local, consumersOfEvents);
      const skipped = Object.entries(after).map(([name, n]) => [name, name === fault.service ? n : n - (before[name] ?? 0)] as const).filter(([, n]) => n > 0);
      return skipped.length > 0
        ? confirmed(`duplicates reached the consumers and were skipped by their inboxes: ${skipped.map(([name, n]) => `${name} ${n}`).join(", ")}`)
        : notConfirmed("no consumer counted a duplicate: the crash left nothing to redeliver");
    },
  };
}

export async function rebalanceStorm(local: LocalStack, fault: Fault & { kind: "rebalance-storm" }): Promise<Injected> {
  const group = `${local.stack.topicPrefix}${fault.service}`;
  const extras: ServiceProcesses[] = [];
  const seen: number[] = [await groupMembers(local.admin, group)];
  let stopped = false;
  const cycles = (async () => {
    for (let cycle = 0; cycle < fault.cycles && !stopped; cycle++) {
      local.log(`rebalance cycle ${cycle + 1}/${fault.cycles}: ${fault.extra} more ${fault.service} instance(s) join group ${group}`);
      const started = await Promise.all(Array.from({ length: fault.extra }, (_, i) => local.stack.startExtra(fault.service, local.topology.extraPort(i))));
      extras.push(...started);
      await sleep(fault.periodMs);
      seen.push(await groupMembers(local.admin, group));
      local.log(`rebalance cycle ${cycle + 1}/${fault.cycles}: the extra instances leave (SIGTERM)`);
      await Promise.all(extras.splice(0).map((p) => p.stop()));
      await sleep(fault.periodMs);
      seen.push(await groupMembers(local.admin, group));
    }
  })();
  // Confirmed once the first cycle has been seen at full size.
  const deadline = Date.now() + fault.periodMs * 3 + 30_000;
  while (Math.max(...seen) < 1 + fault.extra && Date.now() < deadline) await sleep(200);
  const reached = Math.max(...seen);
  return {
    applied:
      reached >= 1 + fault.extra
        ? confirmed(`group ${group} grew to ${reached} members (from ${seen[0]})`)
        : notConfirmed(`group ${group} never reached ${1 + fault.extra} members (saw ${seen.join(", ")})`),
    heal: async () => {
      await cycles;
      stopped = true;
      await Promise.all(extras.splice(0).map((p) => p.stop()));
      const members = await groupMembers(local.admin, group);
      return members === 1 ? confirmed(`member counts seen: ${seen.join(" -> ")}; back to 1`) : notConfirmed(`group ${group} has ${members} members after the storm`);
    },
  };
}
