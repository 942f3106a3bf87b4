-- When the order left PENDING (CONFIRMED or CANCELLED): the end of the saga as
-- the customer sees it. Saga latency and admission control read it.
ALTER TABLE orders ADD COLUMN decided_at timestamptz;
CREATE INDEX orders_decided_at_idx ON orders (decided_at) WHERE decided_at IS NOT NULL;
