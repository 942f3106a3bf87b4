-- Idempotent consumers: a consumer records each event id here in the same
-- transaction as the event's effects, so a redelivered event is skipped.
CREATE TABLE inbox (
  consumer    text NOT NULL,
  event_id    text NOT NULL,
  event_type  text NOT NULL,
  handled_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer, event_id)
);
