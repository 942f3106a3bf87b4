-- Orders known to be cancelled (OrderCancelled). Kept even when there was
-- nothing to cancel with the carrier, so that a ShipmentRequested arriving
-- after the cancel fails (ORDER_CANCELLED) instead of booking.
CREATE TABLE cancelled_orders (
  order_id     uuid PRIMARY KEY,
  reason       text NOT NULL,              -- CancelReason name
  message      text NOT NULL DEFAULT '',
  cancelled_at timestamptz NOT NULL DEFAULT now()
);
