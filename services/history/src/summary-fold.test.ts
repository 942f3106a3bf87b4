// The fold without a database: the events of an order's life, in every order
// they can arrive (and with duplicates), give one summary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { foldEvent, type HistoryEvent, type SummaryState } from "./summary-fold.ts";

const eur = (unitsMinor: bigint) => ({ currencyCode: "EUR", unitsMinor });
const customer = "6f1c3a52-8f4e-4b7a-9c2d-1e3f5a7b9c0d";
const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, second));

type Timed = { event: HistoryEvent; time: Date };

const placed: Timed = {
  event: { kind: "OrderPlaced", customerId: customer, total: eur(3000n), lines: [{ productId: "p", quantity: 2, unitPrice: eur(1500n) }] },
  time: at(1),
};
const confirmedLife: Timed[] = [
  placed,
  { event: { kind: "PaymentCaptured" }, time: at(2) },
  { event: { kind: "ShipmentBooked", carrier: "Parcelo", trackingNumber: "PX-1" }, time: at(3) },
  { event: { kind: "OrderConfirmed", customerId: customer, total: eur(3000n) }, time: at(4) },
];
const cancelledLife: Timed[] = [
  placed,
  { event: { kind: "PaymentCaptured" }, time: at(2) },
  { event: { kind: "ShipmentFailed" }, time: at(3) },
  { event: { kind: "OrderCancelled", customerId: customer, reason: "SHIPMENT_FAILED", message: "no carrier" }, time: at(4) },
  { event: { kind: "PaymentRefunded" }, time: at(5) },
];
const bookedThenCancelled: Timed[] = [
  placed,
  { event: { kind: "PaymentCaptured" }, time: at(2) },
  { event: { kind: "ShipmentBooked", carrier: "Parcelo", trackingNumber: "PX-2" }, time: at(3) },
  { event: { kind: "OrderCancelled", customerId: customer, reason: "CUSTOMER_REQUESTED", message: "" }, time: at(4) },
  { event: { kind: "PaymentRefunded" }, time: at(5) },
  { event: { kind: "ShipmentCancelled" }, time: at(6) },
];

function fold(events: Timed[]): SummaryState {
  let state: SummaryState | undefined;
  for (const { event, time } of events) state = foldEvent(state, event, time).state;
  return state!;
}

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i]!, ...tail];
  }
}

describe("foldEvent", () => {
  for (const [name, life] of [
    ["a confirmed order", confirmedLife],
    ["an order cancelled when its shipment failed", cancelledLife],
    ["an order cancelled after its shipment was booked", bookedThenCancelled],
  ] as const) {
    it(`folds ${name} to one summary whatever the order of arrival (every permutation)`, () => {
      const expected = fold(life);
      let count = 0;
      for (const order of permutations(life)) {
        assert.deepEqual(fold(order), expected, order.map((e) => e.event.kind).join(" "));
        count++;
      }
      assert.ok(count >= 24);
    });
  }

  it("gives what each order's life says", () => {
    assert.deepEqual(fold(confirmedLife), {
      customerId: customer,
      placed: true,
      status: "CONFIRMED",
      cancelReason: "UNSPECIFIED",
      cancelMessage: "",
      total: eur(3000n),
      paymentState: "CAPTURED",
      shipmentState: "BOOKED",
      carrier: "Parcelo",
      trackingNumber: "PX-1",
      placeTime: at(1),
      listTime: at(1),
      updateTime: at(4),
    });
    const cancelled = fold(cancelledLife);
    assert.equal(cancelled.status, "CANCELLED");
    assert.equal(cancelled.cancelReason, "SHIPMENT_FAILED");
    assert.equal(cancelled.cancelMessage, "no carrier");
    assert.equal(cancelled.paymentState, "REFUNDED");
    assert.equal(cancelled.shipmentState, "FAILED");
    const booked = fold(bookedThenCancelled);
    assert.equal(booked.shipmentState, "CANCELLED");
    assert.equal(booked.trackingNumber, "PX-2", "a cancelled shipment keeps the tracking number it was booked with");
    assert.equal(booked.updateTime.getTime(), at(6).getTime());
  });

  it("changes nothing, update_time included, for an event it has already folded (under a new event id, later)", () => {
    const state = fold(confirmedLife);
    for (const { event } of confirmedLife) {
      const { state: after, changed } = foldEvent(state, event, at(30));
      assert.equal(changed, false, event.kind);
      assert.equal(after, state);
    }
  });

  it("never moves a state backwards: a capture after its refund, a booking after its cancel, a confirm after a cancel", () => {
    const refunded = fold([placed, { event: { kind: "PaymentRefunded" }, time: at(5) }]);
    assert.equal(foldEvent(refunded, { kind: "PaymentCaptured" }, at(2)).state.paymentState, "REFUNDED");
    const shipmentCancelled = fold([placed, { event: { kind: "ShipmentCancelled" }, time: at(6) }]);
    const booked = foldEvent(shipmentCancelled, { kind: "ShipmentBooked", carrier: "Parcelo", trackingNumber: "PX-3" }, at(3)).state;
    assert.equal(booked.shipmentState, "CANCELLED");
    assert.equal(booked.trackingNumber, "PX-3", "but the tracking number it brings is kept");
    const cancelled = fold([{ event: { kind: "OrderCancelled", customerId: customer, reason: "OUT_OF_STOCK", message: "sold out" }, time: at(2) }]);
    const after = foldEvent(cancelled, placed.event, placed.time).state;
    assert.equal(after.status, "CANCELLED", "OrderPlaced after OrderCancelled does not reopen it");
    assert.equal(after.placed, true);
    assert.equal(after.cancelReason, "OUT_OF_STOCK");
  });

  it("starts a summary from a payment or shipment event alone, unplaced, sorted by the earliest event seen", () => {
    const partial = fold([
      { event: { kind: "ShipmentBooked", carrier: "Parcelo", trackingNumber: "PX-4" }, time: at(9) },
      { event: { kind: "PaymentCaptured" }, time: at(7) },
    ]);
    assert.equal(partial.placed, false);
    assert.equal(partial.status, "UNSPECIFIED");
    assert.equal(partial.customerId, null);
    assert.equal(partial.total, null);
    assert.equal(partial.listTime.getTime(), at(7).getTime());
    const filled = foldEvent(partial, placed.event, placed.time).state;
    assert.equal(filled.placed, true);
    assert.equal(filled.status, "PENDING");
    assert.equal(filled.customerId, customer);
    assert.equal(filled.listTime.getTime(), at(1).getTime(), "once placed, sorted by its place time");
    assert.equal(filled.paymentState, "CAPTURED");
  });
});
