-- The relay publishes rows in seq order, a batch at a time, and backs off as a
-- whole when the broker fails: a per-row retry time was never set, and would
-- let later events of an aggregate overtake earlier ones.
ALTER TABLE outbox DROP COLUMN next_attempt_at;
