-- The order-history projection: what the events have said about each order
-- (summary-fold.ts decides how each event changes a row), its lines as
-- placed, and the products' names. Nothing here is the truth of anything:
-- every row can be rebuilt from the events (make rebuild-projection
-- truncates these tables and the inbox and reads the topics again).

-- One row per order any event has mentioned. Before its OrderPlaced is
-- applied (placed false) a row may know only a payment or shipment state.
CREATE TABLE order_summaries (
  order_id        uuid PRIMARY KEY,
  customer_id     uuid,
  placed          boolean NOT NULL DEFAULT false,
  status          text NOT NULL CHECK (status IN ('UNSPECIFIED', 'PENDING', 'CONFIRMED', 'CANCELLED')),
  cancel_reason   text NOT NULL,
  cancel_message  text NOT NULL,
  currency_code   text,
  total_minor     bigint,
  payment_state   text NOT NULL CHECK (payment_state IN ('NONE', 'CAPTURED', 'DECLINED', 'REFUNDED')),
  shipment_state  text NOT NULL CHECK (shipment_state IN ('NONE', 'BOOKED', 'FAILED', 'CANCELLED')),
  carrier         text NOT NULL,
  tracking_number text NOT NULL,
  place_time      timestamptz,           -- OrderPlaced's CloudEvent time
  list_time       timestamptz NOT NULL,  -- the listing's sort key: place_time, or the earliest event time before it
  update_time     timestamptz NOT NULL   -- CloudEvent time of the latest event that changed the row
);

CREATE INDEX order_summaries_list_idx ON order_summaries (list_time DESC, order_id DESC);
CREATE INDEX order_summaries_customer_idx ON order_summaries (customer_id, list_time DESC, order_id DESC) WHERE placed;

-- The lines of an order as OrderPlaced carried them, in their order.
CREATE TABLE order_lines (
  order_id         uuid NOT NULL REFERENCES order_summaries (order_id) ON DELETE CASCADE,
  line_no          integer NOT NULL,
  product_id       uuid NOT NULL,
  quantity         integer NOT NULL,
  currency_code    text NOT NULL,
  unit_price_minor bigint NOT NULL,
  PRIMARY KEY (order_id, line_no)
);

CREATE INDEX order_lines_product_id_idx ON order_lines (product_id);

-- Products as catalog's events describe them, for the lines' names (joined on
-- read, so a line shows its name as soon as ProductCreated arrives, whichever
-- came first). A deleted product keeps its row, and so its name.
CREATE TABLE products (
  product_id    uuid PRIMARY KEY,
  name          text NOT NULL DEFAULT '',
  sku           text NOT NULL DEFAULT '',
  created       boolean NOT NULL DEFAULT false,  -- ProductCreated applied
  deleted       boolean NOT NULL DEFAULT false,  -- ProductDeleted applied
  currency_code text,
  price_minor   bigint,
  price_time    timestamptz                      -- CloudEvent time of the event the price came from
);

-- One row: whether a rebuild is under way. Every replica polls it and keeps
-- its consumer stopped while it is (a consumer group's offsets can only be
-- reset while it has no members); the replica running the rebuild renews
-- heartbeat_at, and a rebuild whose heartbeat is older than 15 s is taken for
-- abandoned (its replica died): consumers resume, and a new one may start.
CREATE TABLE projection_rebuild (
  id           boolean PRIMARY KEY DEFAULT true CHECK (id),
  rebuilding   boolean NOT NULL DEFAULT false,
  generation   bigint NOT NULL DEFAULT 0,  -- rebuilds started so far
  started_at   timestamptz,
  heartbeat_at timestamptz,
  finished_at  timestamptz,
  error        text NOT NULL DEFAULT ''     -- why the last rebuild failed, empty when it did not
);

INSERT INTO projection_rebuild DEFAULT VALUES;
