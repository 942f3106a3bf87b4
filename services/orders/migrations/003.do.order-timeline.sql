-- The order's timeline: every saga event applied to an order, in order, never
-- updated or deleted. `event` is the saga event as decide() took it and `at`
-- the database clock decide() used, so folding the rows through decide()
-- recomputes the order's saga columns (saga-timeline.ts). It is written in the
-- transaction that changes the order, so the two never disagree.
CREATE TABLE order_timeline (
  order_id    uuid        NOT NULL REFERENCES orders (id),
  seq         integer     NOT NULL,
  at          timestamptz NOT NULL,
  event       jsonb       NOT NULL,
  cause       text        NOT NULL,
  changes     jsonb       NOT NULL,
  emitted     text[]      NOT NULL,
  status      text        NOT NULL,
  saga_step   text        NOT NULL,
  PRIMARY KEY (order_id, seq)
);

-- Append-only: an entry, once written, is never changed or removed.
CREATE FUNCTION order_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'order_timeline is append-only: % is not allowed', TG_OP;
END $$;
CREATE TRIGGER order_timeline_append_only BEFORE UPDATE OR DELETE ON order_timeline
  FOR EACH STATEMENT EXECUTE FUNCTION order_timeline_append_only();
