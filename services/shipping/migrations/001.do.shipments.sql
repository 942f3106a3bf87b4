-- One shipment per order. The UNIQUE order_id is the guard that a redelivered
-- ShipmentRequested (even under a new event id) can never book twice.
CREATE TABLE shipments (
  id              uuid PRIMARY KEY,
  order_id        uuid NOT NULL UNIQUE,
  customer_id     uuid NOT NULL,
  status          text NOT NULL CHECK (status IN ('BOOKED', 'FAILED', 'CANCELLED')),
  -- The carrier's name and parcel reference: set exactly when something was booked (BOOKED, or CANCELLED after it).
  carrier         text,
  tracking_number text,
  item_count      integer NOT NULL CHECK (item_count >= 0),
  -- ShipmentFailureReason name, set exactly when the shipment is FAILED.
  failure_reason  text CHECK ((status = 'FAILED') = (failure_reason IS NOT NULL)),
  failure_message text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'FAILED') = (tracking_number IS NULL) AND (carrier IS NULL) = (tracking_number IS NULL))
);

-- ListShipments filtered by status, in order id order.
CREATE INDEX shipments_status_order_id_idx ON shipments (status, order_id);
