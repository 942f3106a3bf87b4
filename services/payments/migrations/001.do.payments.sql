-- One payment per order. The UNIQUE order_id is the guard that a redelivered
-- PaymentRequested (even under a new event id) can never charge twice.
-- Amounts are integers in minor units of currency_code.
CREATE TABLE payments (
  id                 uuid PRIMARY KEY,
  order_id           uuid NOT NULL UNIQUE,
  customer_id        uuid NOT NULL,
  currency_code      char(3) NOT NULL,
  amount_minor       bigint NOT NULL CHECK (amount_minor >= 0),
  -- One capture per row, so the schema itself cannot hold a double charge.
  captured_minor     bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0 AND captured_minor <= amount_minor),
  refunded_minor     bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= captured_minor),
  status             text NOT NULL CHECK (status IN ('AUTHORIZED', 'CAPTURED', 'DECLINED', 'REFUNDED')),
  -- DeclineReason name, set exactly when the payment is DECLINED.
  decline_reason     text CHECK ((status = 'DECLINED') = (decline_reason IS NOT NULL)),
  decline_message    text NOT NULL DEFAULT '',
  provider_reference text,               -- the provider's charge id
  refund_reference   text,               -- the provider's refund id
  refund_reason      text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- ListPayments filtered by status, in order id order.
CREATE INDEX payments_status_order_id_idx ON payments (status, order_id);
