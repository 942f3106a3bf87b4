-- The trace context of the span that wrote each event (W3C traceparent and
-- tracestate). The relay publishes the event in a child span of it and puts
-- that span's context on the Kafka message, so a consumer continues the trace
-- of the request that caused the event. NULL for rows written before.
ALTER TABLE outbox ADD COLUMN traceparent text, ADD COLUMN tracestate text;
