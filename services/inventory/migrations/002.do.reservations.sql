-- The reservation of stock for one order, one row per order id: it is what
-- makes Reserve, Release and Commit idempotent. Items are written once (by
-- the first Reserve) and never change; a release tombstone has none.
CREATE TABLE reservations (
  order_id   uuid PRIMARY KEY,
  state      text NOT NULL CHECK (state IN ('RESERVED', 'REJECTED', 'RELEASED', 'COMMITTED')),
  -- [{"productId": uuid, "quantity": int}] in request order.
  items      jsonb NOT NULL DEFAULT '[]',
  -- [{"productId": uuid, "reason": "INSUFFICIENT_STOCK" | "UNKNOWN_PRODUCT", "requested": int, "available": "int"}]
  rejections jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
