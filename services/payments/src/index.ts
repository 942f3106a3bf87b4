// The payments service definition: what main.ts runs and what tests start in-process.
import { fraction, int, str, type Runtime, type ServiceDefinition } from "@meshmart/platform";
import { PaymentService } from "@meshmart/proto/payments/v1/payments_pb";
import { registerPaymentEvents } from "./payment-events.ts";
import { createSimulatedProvider, withFaultSwitch, type PaymentProvider } from "./payment-provider.ts";
import { createPaymentService } from "./payment-service.ts";

const config = {
  /** Fraction of payments the simulated provider declines, 0 to 1. */
  PAYMENT_DECLINE_RATE: fraction(0),
  /** Stall of every provider call. It runs inside the event's transaction: keep it short. */
  PAYMENT_LATENCY_MS: int({ default: 0, min: 0, max: 60_000 }),
  /** Picks which orders the decline rate hits (the draw is a function of seed and order id). */
  PAYMENT_DECLINE_SEED: str(""),
  /** Amounts above this many minor units are declined LIMIT_EXCEEDED; 0 means no limit. */
  PAYMENT_LIMIT_MINOR: int({ default: 0, min: 0 }),
};

// Stateless, so the RPCs and the event handlers may each build their own.
const provider = (runtime: Runtime<typeof config>): PaymentProvider =>
  withFaultSwitch(
    createSimulatedProvider({
      declineRate: runtime.config.PAYMENT_DECLINE_RATE,
      latencyMs: runtime.config.PAYMENT_LATENCY_MS,
      seed: runtime.config.PAYMENT_DECLINE_SEED,
      limitMinor: BigInt(runtime.config.PAYMENT_LIMIT_MINOR),
    }),
    runtime.faults,
  );

export const paymentsService: ServiceDefinition<typeof config> = {
  name: "payments",
  config,
  migrations: new URL("../migrations", import.meta.url),
  rpc: (router, runtime) => router.service(PaymentService, createPaymentService(runtime.db, runtime.outbox, provider(runtime))),
  events: (consumer, runtime) => registerPaymentEvents(consumer, provider(runtime)),
};

export { createSimulatedProvider, type PaymentProvider } from "./payment-provider.ts";
