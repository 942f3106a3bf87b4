// Admission control for new orders: the gateway refuses (503 with
// Retry-After) an order the system cannot finish in time, instead of
// accepting it into a backlog where it and every order behind it would miss
// their deadline (congestion collapse). What it observes:
// - orders' saga load (GetSagaLoad, refreshed at most every ADMISSION_POLL_MS
//   as orders arrive): sagas PENDING now and sagas decided per second. By
//   Little's law a saga then waits about pending / decided-per-second; an
//   order is admitted while that stays under ADMISSION_SAGA_TARGET_MS, that
//   is while pending (plus what this gateway admitted since the last reading)
//   is under decided/s x target, or under ADMISSION_MIN_PENDING, the floor
//   that lets a quiet system start;
// - its own PlaceOrder calls in flight, at most ADMISSION_MAX_IN_FLIGHT
//   (a slow orders service piles up requests that would end as late 504s).
// Without a fresh reading (orders unreachable) it admits: PlaceOrder then
// fails on its own, with the error that says why.
import type { Client } from "@connectrpc/connect";
import type { OrderService } from "@meshmart/proto/orders/v1/orders_pb";
import { Counter, Gauge, type Registry } from "prom-client";

export interface AdmissionSettings {
  /** Saga time (wait included) the admitted orders should keep; 0 turns the saga check off. */
  targetSagaMs: number;
  /** Pending sagas always allowed (a quiet system has no decided rate yet). */
  minPending: number;
  /** PlaceOrder calls in flight at most. */
  maxInFlight: number;
  pollMs: number;
}

/** The cause of an admission refusal's problem: counted in a metric, not logged per request. */
export class AdmissionRefused extends Error {
  override name = "AdmissionRefused";
}

export type Admission = { admitted: true; done(): void } | { admitted: false; reason: string; retryAfterSeconds: number };

interface Reading {
  at: number;
  pending: number;
  decidedPerSecond: number;
}

export class OrderAdmission {
  private reading: Reading | undefined;
  private refreshing: Promise<void> | undefined;
  private admittedSinceReading = 0;
  private inFlight = 0;
  private readonly refused: Counter;

  constructor(
    private readonly orders: Client<typeof OrderService>,
    private readonly settings: AdmissionSettings,
    registry: Registry,
  ) {
    this.refused = new Counter({ name: "gateway_orders_refused_total", help: "New orders refused by admission control, by reason.", labelNames: ["reason"], registers: [registry] });
    const pending: Gauge = new Gauge({
      name: "gateway_orders_admission_pending",
      help: "Pending sagas as admission control estimates them (orders' reading plus orders admitted since).",
      registers: [registry],
      collect: () => pending.set(this.reading ? this.reading.pending + this.admittedSinceReading : 0),
    });
  }

  /** Whether to place one more order now; when admitted, call done() once its PlaceOrder answered. */
  admit(now = Date.now()): Admission {
    if (this.inFlight >= this.settings.maxInFlight) return this.refuse("in_flight", `${this.inFlight} orders are being placed at once`);
    if (this.settings.targetSagaMs > 0) {
      this.refresh(now);
      const reading = this.reading;
      if (reading && now - reading.at <= Math.max(2_000, 5 * this.settings.pollMs)) {
        const pending = reading.pending + this.admittedSinceReading;
        const budget = Math.max(this.settings.minPending, (reading.decidedPerSecond * this.settings.targetSagaMs) / 1000);
        if (pending >= budget) {
          return this.refuse("saga_backlog", `${pending} orders are still in progress, as many as finish in ${this.settings.targetSagaMs} ms`);
        }
      }
    }
    this.inFlight++;
    this.admittedSinceReading++;
    let finished = false;
    return {
      admitted: true,
      done: () => {
        if (finished) return;
        finished = true;
        this.inFlight--;
      },
    };
  }

  private refuse(reason: string, detail: string): Admission {
    this.refused.inc({ reason });
    return { admitted: false, reason: `the order system is at capacity (${detail}); retry shortly`, retryAfterSeconds: 1 };
  }

  /** Starts a new reading when the last is older than pollMs (one at a time; admit() never waits for it). */
  private refresh(now: number): void {
    if (this.refreshing || (this.reading && now - this.reading.at < this.settings.pollMs)) return;
    const asked = Date.now();
    const admittedBefore = this.admittedSinceReading;
    this.refreshing = this.orders
      .getSagaLoad({}, { timeoutMs: Math.max(500, 2 * this.settings.pollMs) })
      .then((load) => {
        this.reading = { at: asked, pending: load.pending, decidedPerSecond: load.decidedPerSecond };
        // Orders admitted while the reading was on its way may not be in it yet.
        this.admittedSinceReading -= admittedBefore;
      })
      .catch(() => {
        // Keep the last reading; it goes stale and admission then lets orders through.
      })
      .finally(() => {
        this.refreshing = undefined;
      });
  }
}
