-- One notification per order outcome. UNIQUE (order_id, kind) holds that even
-- when the same outcome arrives again under a new event id (the inbox only
-- dedups event ids).
CREATE TABLE notifications (
  id          uuid PRIMARY KEY,
  seq         bigserial NOT NULL UNIQUE,  -- creation order: the paging key
  customer_id uuid NOT NULL,
  order_id    uuid NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('ORDER_CONFIRMED', 'ORDER_CANCELLED')),
  subject     text NOT NULL,
  body        text NOT NULL,
  event_id    text NOT NULL,              -- the event that caused it, for tracing back
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, kind)
);

CREATE INDEX notifications_customer_id_seq_idx ON notifications (customer_id, seq);
