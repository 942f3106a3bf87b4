-- The saga's third step (shipping): what shipping has told orders so far.
ALTER TABLE orders ADD COLUMN shipment_booked boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN shipment_cancelled boolean NOT NULL DEFAULT false;
