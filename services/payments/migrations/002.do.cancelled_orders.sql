-- Orders known to be cancelled (OrderCancelled). Kept even when there was
-- nothing to refund, so that a PaymentRequested arriving after the cancel is
-- declined (ORDER_CANCELLED) instead of captured.
CREATE TABLE cancelled_orders (
  order_id     uuid PRIMARY KEY,
  reason       text NOT NULL,              -- CancelReason name
  message      text NOT NULL DEFAULT '',
  cancelled_at timestamptz NOT NULL DEFAULT now()
);
