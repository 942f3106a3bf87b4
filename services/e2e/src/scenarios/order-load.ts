// The scenarios' load driver (scenario-load.ts): an open loop of orders through
// the gateway at a fixed rate, each with its own idempotency key, started on
// schedule whatever the system does (a slow system does not slow the arrivals).
// The arrivals are the project's open-loop generator's (load/open-loop.ts:
// runOpenLoop, as `make load` and the benchmarks use it), run until stopped.
// Every attempt is recorded in the history. polite: an answer that asks to be
// retried (503 or 429, 504, or no answer) is retried with the same key after
// its Retry-After, as a well-behaved client would; that is what makes
// "accepted" well defined when a request's outcome was unknown. hedged: the
// same request is also sent again, in parallel, whenever an attempt has not
// answered within hedgeAfterMs (up to three copies): a client retrying on its
// own.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { GatewayShopper } from "../gateway-shopper.ts";
import { runOpenLoop, type OperationResult } from "../load/open-loop.ts";
import type { Operation } from "./history.ts";
import type { LoadDriver, Shopper } from "./scenario-load.ts";

export async function placeOrderOnce(
  gatewayUrl: string,
  shopper: Shopper,
  items: Array<{ productId: string; quantity: number }>,
  idempotencyKey: string,
  timeoutMs: number,
): Promise<Pick<Operation, "status" | "orderId" | "retryAfter" | "detail">> {
  try {
    const placed = await new GatewayShopper(gatewayUrl, shopper.token).placeOrder(items, idempotencyKey, { timeoutMs });
    const { status, orderId, retryAfter } = placed;
    const detail = [placed.problem?.title, placed.problem?.detail].filter(Boolean).join(": ") || undefined;
    return { status, ...(orderId ? { orderId } : {}), ...(retryAfter ? { retryAfter } : {}), ...(detail ? { detail } : {}) };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: 0, detail: `${(err as Error).name}: ${(err as Error).message}${cause ? ` (${cause})` : ""}` };
  }
}

const retryable = (status: number) => status === 0 || status === 503 || status === 429 || status === 504;
const maxAttempts = 3;

export const startOrderLoad: LoadDriver = ({ gatewayUrl, shoppers, products, history, shape }) => {
  if (products.length === 0) throw new Error("the catalog listed no products: nothing to order");
  if (shoppers.length === 0) throw new Error("no shoppers");
  let running = true;

  const attempt = async (shopper: Shopper, items: Array<{ productId: string; quantity: number }>, key: string, n: number) => {
    const phase = history.phase();
    const at = history.now();
    const answer = await placeOrderOnce(gatewayUrl, shopper, items, key, shape.requestTimeoutMs);
    history.record({ at, durationMs: history.now() - at, phase: history.settledPhase(phase), customerId: shopper.customerId, idempotencyKey: key, attempt: n, ...answer });
    return answer;
  };

  const order = async (i: number): Promise<OperationResult> => {
    const shopper = shoppers[i % shoppers.length]!;
    const picks = [...products].sort(() => Math.random() - 0.5).slice(0, 1 + (i % 3));
    const items = picks.map((p) => ({ productId: p.id, quantity: 1 + (i % 2) }));
    const key = randomUUID();
    let n = 0;
    if (shape.mode === "hedged") {
      // Copies of the same request, each started when the ones before have not answered within hedgeAfterMs.
      const copies: Array<Promise<{ status: number }>> = [];
      let answered = false;
      for (let copy = 0; copy < maxAttempts && !answered; copy++) {
        copies.push(attempt(shopper, items, key, ++n).then((a) => ((answered ||= a.status === 200 || a.status === 201), a)));
        await Promise.race([sleep(shape.hedgeAfterMs ?? 500), Promise.all(copies)]);
      }
      const answers = await Promise.all(copies);
      return resultOf(answers.find((a) => a.status === 200 || a.status === 201)?.status ?? answers.at(-1)!.status);
    }
    for (;;) {
      const answer = await attempt(shopper, items, key, ++n);
      if (!retryable(answer.status) || n >= maxAttempts || !running) return resultOf(answer.status);
      const seconds = Number(answer.retryAfter);
      await sleep(Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 5) * 1000 : 500);
    }
  };

  // On schedule whatever the system does; the scenario's history, not the generator's summary, is the record.
  const stopped = new AbortController();
  const run = runOpenLoop({ rate: shape.ratePerSecond, durationMs: untilStopped, operation: order, signal: stopped.signal });

  return {
    async stop() {
      running = false;
      stopped.abort();
      await run; // resolves once every order in flight has answered
    },
  };
};

/** The generator's horizon: the scenario stops the load long before. */
const untilStopped = 24 * 3600_000;

const resultOf = (status: number): OperationResult => ({
  status,
  outcome: status === 200 || status === 201 ? "ok" : status === 503 || status === 429 ? "refused" : "error",
});
