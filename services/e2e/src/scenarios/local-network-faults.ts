// Network faults of the local target, through Toxiproxy: a toxic on one edge
// (confirmed by a probe through that very proxy, compared with one through it
// before), an edge cut (its proxy disabled), and the repeating proxy in front
// of payments' Refund with the cancels and refunds it carries.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { edgeName, type Fault, type ProxyEdge, type Toxic } from "./fault.ts";
import { describeProbe, probeHttp, probeKafka, probePostgres, type ProbeResult } from "./edge-probes.ts";
import { isReady, putFaults, urlOf, type LocalStack } from "./local-stack.ts";
import { startRetryingProxy } from "./retrying-proxy.ts";
import type { FaultContext, Injected } from "./target.ts";
import { confirmed, notConfirmed, type Confirmation } from "./verdict.ts";

function probeEdge(local: LocalStack, edge: ProxyEdge): Promise<ProbeResult> {
  const port = local.topology.proxyPort(edge);
  switch (edge.to) {
    case "service":
      return probeHttp(port);
    case "postgres": {
      const url = new URL(local.stack.databases.get(edge.service)!);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return probePostgres(url.toString());
    }
    case "kafka":
      return probeKafka(`127.0.0.1:${port}`);
  }
}

/** Whether a probe through the toxic shows the toxic, compared with the same probe before it. */
export function toxicFelt(toxic: Toxic, before: ProbeResult, during: ProbeResult): Confirmation {
  const a = toxic.attributes;
  const seen = `before: ${describeProbe(before)}; with the toxic: ${describeProbe(during)}`;
  const yes = (why: string) => confirmed(`${why} (${seen})`);
  const no = (why: string) => notConfirmed(`${why} (${seen})`);
  switch (toxic.type) {
    case "latency": {
      const least = (a.latency ?? 0) - (a.jitter ?? 0);
      return !during.error && during.ms >= least && during.ms > before.ms ? yes(`the probe took at least ${least} ms`) : no(`the probe was not delayed by at least ${least} ms`);
    }
    case "bandwidth":
      return !during.error && during.ms > Math.max(3 * before.ms, 500) ? yes(`the probe slowed to ${during.ms} ms at ${a.rate} KB/s`) : no(`the probe was not slowed by a ${a.rate} KB/s limit`);
    case "timeout":
      return during.error || during.ms >= (a.timeout ?? 0) * 0.8 ? yes("the probe got no answer") : no("the probe was answered");
    case "reset_peer":
      return during.error ? yes("the probe's connection was cut") : no("the probe's connection was not cut");
    case "slicer":
      return !during.error && (during.chunks ?? 0) >= 10 * Math.max(1, before.chunks ?? 1) && during.bytes === before.bytes
        ? yes(`the same answer came in ${during.chunks} pieces instead of ${before.chunks}`)
        : no("the answer was not sliced (or did not come whole)");
  }
}

export async function addToxic(local: LocalStack, edge: ProxyEdge, toxic: Toxic): Promise<Injected> {
  const proxy = edgeName(edge);
  const before = await probeEdge(local, edge);
  const name = `scenario-${toxic.type}`;
  local.log(`Toxiproxy: ${toxic.type} ${JSON.stringify(toxic.attributes)} on ${proxy} (${toxic.stream ?? "downstream"})`);
  const held = await local.toxiproxy.addToxic(proxy, { name, type: toxic.type, stream: toxic.stream ?? "downstream", attributes: toxic.attributes });
  const during = await probeEdge(local, edge);
  const felt = toxicFelt(toxic, before, during);
  return {
    applied: held.type === toxic.type ? confirmed(`Toxiproxy holds ${held.type} ${JSON.stringify(held.attributes)} on ${proxy}; ${felt.evidence}`) : notConfirmed(`the toxic read back as ${JSON.stringify(held)}`),
    heal: async () => {
      await local.toxiproxy.removeToxic(proxy, name);
      const after = await probeEdge(local, edge);
      return after.error ? notConfirmed(`the probe through ${proxy} still fails after the toxic was removed: ${describeProbe(after)}`) : confirmed(`toxic removed; the probe through ${proxy} ${describeProbe(after)}`);
    },
  };
}

export async function cutEdge(local: LocalStack, edge: ProxyEdge): Promise<Injected> {
  const proxy = edgeName(edge);
  local.log(`Toxiproxy: ${proxy} disabled`);
  await local.toxiproxy.setEnabled(proxy, false);
  const through = await probeEdge(local, edge);
  // Its clients still reach the service through its own proxy.
  const reachable = edge.to === "service" ? true : await isReady(`http://127.0.0.1:${local.topology.proxyPort({ to: "service", service: edge.service })}`);
  return {
    applied:
      through.error && reachable
        ? confirmed(`a connection through ${proxy} fails (${through.error}); ${edge.service} still answers its clients (/readyz through svc-${edge.service})`)
        : notConfirmed(through.error ? `${edge.service} no longer answers its clients either` : `a connection through ${proxy} still works: ${describeProbe(through)}`),
    heal: async () => {
      await local.toxiproxy.setEnabled(proxy, true);
      const after = await probeEdge(local, edge);
      return after.error ? notConfirmed(`${proxy} still fails after it was enabled: ${after.error}`) : confirmed(`${proxy} enabled again; the probe ${describeProbe(after)}`);
    },
  };
}

/**
 * The repeating proxy in front of payments, and a worker that, for orders the
 * load got accepted, cancels them through the gateway at once and, when the
 * cancel was accepted, asks payments (through the proxy) to refund them: each
 * Refund arrives three times, racing the saga's own compensation. The
 * provider's charges are slowed meanwhile so that sagas are still pending
 * when the cancel comes; an order that confirmed first (409) is not
 * refunded: a Refund of a confirmed order is no caller's business.
 */
export async function refundsThroughRetryingProxy(local: LocalStack, fault: Fault & { kind: "retrying-proxy" }, context: FaultContext): Promise<Injected> {
  // 250 ms a charge keeps the sagas pending for the cancel that follows; 1.5 s (until 2026-12-03)
  // held payments to 2 charges a second on its 3 partitions, a quarter of the load, and admission
  // control then refused half the orders for that overload, not for the proxy.
  const slowCharges = await putFaults(urlOf(local, "payments"), "provider:charge=stall:250");
  if (!slowCharges.confirmed) return { applied: slowCharges, heal: async () => putFaults(urlOf(local, "payments"), "") };
  const proxy = await startRetryingProxy({ port: local.topology.retryingProxyPort, upstream: local.stack.processes.urls.payments, method: fault.method, repeats: fault.repeats });
  const gateway = local.topology.gatewayUrl;
  const { history } = context;
  const handled = new Set<string>();
  let refunded = 0;
  let running = true;
  const worker = (async () => {
    const tokens = new Map<string, string>();
    while (running) {
      const fresh = history.accepted().filter((o) => !handled.has(o.orderId));
      for (const order of fresh.slice(0, 4)) {
        handled.add(order.orderId);
        const token = tokens.get(order.customerId) ?? (await context.token(order.customerId));
        tokens.set(order.customerId, token);
        const call = async (op: "CancelOrder" | "Refund", url: string, body: string, headers: Record<string, string>): Promise<number> => {
          const phase = history.phase();
          const at = history.now();
          const key = randomUUID();
          try {
            const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, signal: AbortSignal.timeout(10_000) });
            await res.arrayBuffer();
            history.record({ op, at, durationMs: history.now() - at, phase: history.settledPhase(phase), customerId: order.customerId, idempotencyKey: key, attempt: 1, status: res.status, orderId: order.orderId });
            return res.status;
          } catch (err) {
            history.record({ op, at, durationMs: history.now() - at, phase: history.settledPhase(phase), customerId: order.customerId, idempotencyKey: key, attempt: 1, status: 0, orderId: order.orderId, detail: (err as Error).message });
            return 0;
          }
        };
        const cancel = await call("CancelOrder", `${gateway}/api/v1/orders/${order.orderId}:cancel`, "{}", { authorization: `Bearer ${token}` });
        if (cancel < 200 || cancel >= 300) continue;
        refunded++;
        await call("Refund", `${proxy.url}/meshmart.payments.v1.PaymentService/Refund`, JSON.stringify({ orderId: order.orderId, reason: "scenario retrying-proxy-refunds" }), {});
      }
      await sleep(100);
    }
  })();
  // Confirmed by the first repeated delivery: a Refund answers only after the stalled charge it
  // races and its own three deliveries, so this waits up to the hold, not a fixed 3 s
  // (one Refund still on its way at 3 s made the run of 2026-12-03 13:28 NOT-INJECTED).
  const waitStarted = Date.now();
  while (proxy.stats().repeats === 0 && Date.now() - waitStarted < Math.max(3_000, context.holdMs)) await sleep(100);
  const early = proxy.stats();
  const waited = ((Date.now() - waitStarted) / 1000).toFixed(1);
  return {
    applied:
      early.repeats > 0
        ? confirmed(`the proxy at ${proxy.url} repeats every ${fault.method}: ${early.requests} request(s), ${early.repeats} repeated deliveries so far`)
        : notConfirmed(`no ${fault.method} was repeated by the proxy within ${waited} s (${early.requests} requests)`),
    observe: async () => {
      const s = proxy.stats();
      return s.repeats > 0 ? confirmed(`${s.requests} Refund(s) reached payments ${1 + fault.repeats} times each (${s.repeats} repeats; answers ${JSON.stringify(s.statuses)})`) : notConfirmed("nothing was repeated");
    },
    heal: async () => {
      running = false;
      await worker;
      await proxy.close();
      const restored = await putFaults(urlOf(local, "payments"), "");
      const what = `the repeating proxy stopped after ${proxy.stats().requests} request(s): ${refunded} of ${handled.size} order(s) cancelled (the others confirmed first) and refunded through it`;
      return restored.confirmed ? confirmed(`${what}; provider charges at full speed again`) : notConfirmed(`${what}; but ${restored.evidence}`);
    },
  };
}
