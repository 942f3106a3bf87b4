// The carrier shipping books parcels with, and a simulated one whose refusals
// and latency are configuration, so that tests, the demo and fault scenarios
// can make shipments fail on purpose.
//
// The simulated decision is a draw derived from (seed, order id) rather than
// Math.random(): across random order ids it refuses the configured fraction,
// and a retried booking for the same order gets the same answer, as a real
// carrier keyed by the order's reference would give.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { simulatedDraw, type FaultSwitch } from "@meshmart/platform";
import { ShipmentFailureReason } from "@meshmart/proto/shipping/v1/shipping_pb";

export interface Booking {
  /** The carrier's idempotency key: one parcel per order. */
  orderId: string;
  itemCount: number;
}

export type BookingResult =
  | { booked: true; carrier: string; trackingNumber: string }
  | { booked: false; reason: ShipmentFailureReason; message: string };

export interface Carrier {
  /** Books the order's parcel, or says why it cannot. */
  book(booking: Booking): Promise<BookingResult>;
  /** Cancels a booked parcel; cancellations are never refused. */
  cancel(trackingNumber: string): Promise<void>;
}

export interface SimulatedCarrierOptions {
  /** Fraction of bookings refused, 0 to 1. */
  failureRate: number;
  /** Stall of every call, in milliseconds. */
  latencyMs: number;
  /** Mixed into the draw: another seed refuses other orders, at the same rate. */
  seed?: string;
}

export const simulatedCarrierName = "simulated-post";

const randomFailures = [ShipmentFailureReason.CARRIER_UNAVAILABLE, ShipmentFailureReason.UNSERVICEABLE] as const;

export function createSimulatedCarrier(options: SimulatedCarrierOptions): Carrier {
  const seed = options.seed ?? "";
  const stall = () => (options.latencyMs > 0 ? sleep(options.latencyMs) : Promise.resolve());
  return {
    async book({ orderId }) {
      await stall();
      // Its own stream: with the same seed, payments' declines and these refusals hit independent orders
      // (one shared draw would make every refused shipment one payments had already declined).
      const draw = simulatedDraw("carrier", seed, orderId);
      if (draw < options.failureRate) {
        // Reuse the draw to pick a reason, so the outcome stays a function of the order.
        const reason = randomFailures[Math.floor((draw / options.failureRate) * randomFailures.length)] ?? randomFailures[0];
        return { booked: false, reason, message: `simulated carrier refusal (rate ${options.failureRate})` };
      }
      return { booked: true, carrier: simulatedCarrierName, trackingNumber: `sp_${randomUUID()}` };
    },

    async cancel() {
      await stall();
    },
  };
}

/**
 * The carrier behind the fault switch: rules on `carrier:book` and
 * `carrier:cancel` stall or fail its calls, so that a scenario can make the
 * carrier slower (or failing) while the service runs.
 */
export function withFaultSwitch(carrier: Carrier, faults: Pick<FaultSwitch, "inject">): Carrier {
  return {
    async book(booking) {
      await faults.inject(["carrier:book"]);
      return carrier.book(booking);
    },
    async cancel(trackingNumber) {
      await faults.inject(["carrier:cancel"]);
      return carrier.cancel(trackingNumber);
    },
  };
}
