-- Orders and their saga state. Money is integer minor units.
CREATE TABLE orders (
  id               uuid PRIMARY KEY,
  customer_id      uuid NOT NULL,
  idempotency_key  text NOT NULL,
  -- Fingerprint of the items, to tell a retry from a different order with the same key.
  request_hash     text NOT NULL,
  status           text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
  currency_code    char(3) NOT NULL,
  total_minor      bigint NOT NULL CHECK (total_minor >= 0),
  cancel_reason    text,
  cancel_message   text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  deadline         timestamptz NOT NULL,
  -- Saga state, as orders knows it.
  saga_step        text NOT NULL,
  stock_reserved   boolean NOT NULL DEFAULT false,
  payment_captured boolean NOT NULL DEFAULT false,
  stock_committed  boolean NOT NULL DEFAULT false,
  stock_released   boolean NOT NULL DEFAULT false,
  payment_refunded boolean NOT NULL DEFAULT false,
  saga_ended_at    timestamptz,
  UNIQUE (customer_id, idempotency_key)
);

CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_pending_deadline_idx ON orders (deadline) WHERE status = 'PENDING';

CREATE TABLE order_items (
  order_id          uuid NOT NULL REFERENCES orders (id),
  position          integer NOT NULL,
  product_id        uuid NOT NULL,
  quantity          integer NOT NULL CHECK (quantity > 0),
  unit_price_minor  bigint NOT NULL CHECK (unit_price_minor >= 0),
  PRIMARY KEY (order_id, position)
);
