// The shipping service definition: what main.ts runs and what tests start in-process.
import { fraction, int, str, type Runtime, type ServiceDefinition } from "@meshmart/platform";
import { ShippingService } from "@meshmart/proto/shipping/v1/shipping_pb";
import { createSimulatedCarrier, withFaultSwitch, type Carrier } from "./carrier.ts";
import { registerShipmentEvents } from "./shipment-events.ts";
import { createShippingService } from "./shipping-service.ts";

const config = {
  /** Fraction of bookings the simulated carrier refuses, 0 to 1. */
  SHIPPING_FAILURE_RATE: fraction(0),
  /** Stall of every carrier call. It runs inside the event's transaction: keep it short. */
  SHIPPING_LATENCY_MS: int({ default: 0, min: 0, max: 60_000 }),
  /** Picks which orders the failure rate hits (the draw is a function of seed and order id). */
  SHIPPING_FAILURE_SEED: str(""),
};

const carrier = (runtime: Runtime<typeof config>): Carrier =>
  withFaultSwitch(
    createSimulatedCarrier({
      failureRate: runtime.config.SHIPPING_FAILURE_RATE,
      latencyMs: runtime.config.SHIPPING_LATENCY_MS,
      seed: runtime.config.SHIPPING_FAILURE_SEED,
    }),
    runtime.faults,
  );

export const shippingService: ServiceDefinition<typeof config> = {
  name: "shipping",
  config,
  migrations: new URL("../migrations", import.meta.url),
  rpc: (router, runtime) => router.service(ShippingService, createShippingService(runtime.db)),
  events: (consumer, runtime) => registerShipmentEvents(consumer, carrier(runtime)),
};

export { createSimulatedCarrier, type Carrier } from "./carrier.ts";
