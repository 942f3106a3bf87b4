-- Transactional outbox: events are written here in the same transaction as the
-- state change they describe, and published to Kafka by the relay.
CREATE TABLE outbox (
  id              uuid PRIMARY KEY,              -- the CloudEvents id
  seq             bigserial NOT NULL UNIQUE,     -- publication order
  topic           text NOT NULL,
  aggregate_type  text NOT NULL,
  aggregate_id    text NOT NULL,                 -- the Kafka message key
  type            text NOT NULL,                 -- e.g. meshmart.catalog.v1.ProductPriceChanged
  payload         bytea NOT NULL,                -- binary protobuf
  headers         jsonb NOT NULL,                -- CloudEvents and trace headers
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at    timestamptz,
  last_error      text
);

CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Wake the relay when events are committed (NOTIFY is delivered at COMMIT).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('meshmart_outbox', '');
  RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
