// The payment provider payments charges through, and a simulated one whose
// declines and latency are configuration, so that tests, the demo and fault
// scenarios can make payments fail on purpose.
//
// The simulated decision is a draw derived from (seed, order id) rather than
// Math.random(): across random order ids it declines the configured fraction,
// and a retried call for the same order gets the same answer, as a real
// provider keyed by an idempotency key would give.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { simulatedDraw, type FaultSwitch } from "@meshmart/platform";
import { DeclineReason } from "@meshmart/proto/payments/v1/payments_pb";

export interface Charge {
  /** The idempotency key: a provider never charges the same order twice. */
  orderId: string;
  currencyCode: string;
  amountMinor: bigint;
}

export type ChargeResult =
  | { approved: true; reference: string }
  | { approved: false; reason: DeclineReason; message: string };

export interface PaymentProvider {
  /** Authorizes and captures in one step (a sale). */
  charge(charge: Charge): Promise<ChargeResult>;
  /** Refunds a capture in full; refunds are never declined. Returns the refund's reference. */
  refund(chargeReference: string, amountMinor: bigint): Promise<string>;
}

export interface SimulatedProviderOptions {
  /** Fraction of charges declined, 0 to 1. */
  declineRate: number;
  /** Stall of every call, in milliseconds. */
  latencyMs: number;
  /** Mixed into the draw: another seed declines other orders, at the same rate. */
  seed?: string;
  /** Charges above this many minor units are declined LIMIT_EXCEEDED; 0 means no limit. */
  limitMinor?: bigint;
}

const randomDeclines = [DeclineReason.INSUFFICIENT_FUNDS, DeclineReason.FRAUD_SUSPECTED] as const;

export function createSimulatedProvider(options: SimulatedProviderOptions): PaymentProvider {
  const seed = options.seed ?? "";
  const limit = options.limitMinor ?? 0n;
  const stall = () => (options.latencyMs > 0 ? sleep(options.latencyMs) : Promise.resolve());
  return {
    async charge({ orderId, currencyCode, amountMinor }) {
      await stall();
      if (limit > 0n && amountMinor > limit) {
        return {
          approved: false,
          reason: DeclineReason.LIMIT_EXCEEDED,
          message: `${amountMinor} ${currencyCode} minor units exceed the limit of ${limit}`,
        };
      }
      const draw = simulatedDraw("", seed, orderId);
      if (draw < options.declineRate) {
        // Reuse the draw to pick a reason, so the outcome stays a function of the order.
        const reason = randomDeclines[Math.floor((draw / options.declineRate) * randomDeclines.length)] ?? randomDeclines[0];
        return { approved: false, reason, message: `simulated decline (rate ${options.declineRate})` };
      }
      return { approved: true, reference: `ch_${randomUUID()}` };
    },

    async refund() {
      await stall();
      return `re_${randomUUID()}`;
    },
  };
}

/**
 * The provider behind the fault switch: rules on `provider:charge` and
 * `provider:refund` stall or fail its calls, so that a scenario can make the
 * provider slower (or failing) while the service runs.
 */
export function withFaultSwitch(provider: PaymentProvider, faults: Pick<FaultSwitch, "inject">): PaymentProvider {
  return {
    async charge(charge) {
      await faults.inject(["provider:charge"]);
      return provider.charge(charge);
    },
    async refund(chargeReference, amountMinor) {
      await faults.inject(["provider:refund"]);
      return provider.refund(chargeReference, amountMinor);
    },
  };
}
