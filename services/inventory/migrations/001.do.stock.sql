-- Stock per product. Only SetStock changes `stocked`; reservations move units
-- between available, reserved and sold. The CHECKs make conservation
-- (invariant 2) a property of the table: a bug fails its transaction instead
-- of overselling or losing units.
CREATE TABLE stock (
  product_id uuid PRIMARY KEY,
  available  bigint NOT NULL CHECK (available >= 0),
  reserved   bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  sold       bigint NOT NULL DEFAULT 0 CHECK (sold >= 0),
  stocked    bigint NOT NULL CHECK (stocked >= 0),
  -- Bumped on every change, so WatchStock never sends an older state after a newer one.
  version    bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT stock_conserved CHECK (stocked = available + reserved + sold)
);

-- Every write bumps the version and the time, so no code path can forget to.
CREATE FUNCTION stock_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TRIGGER stock_touch BEFORE UPDATE ON stock FOR EACH ROW EXECUTE FUNCTION stock_touch();

-- WatchStock streams on every replica hear each committed change: NOTIFY is
-- delivered at COMMIT, in commit order, to every session that LISTENs. The
-- payload carries the new row, so a watcher needs no query per change.
CREATE FUNCTION stock_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('meshmart_stock', json_build_object(
    'product_id', NEW.product_id,
    'available', NEW.available::text,
    'reserved', NEW.reserved::text,
    'sold', NEW.sold::text,
    'stocked', NEW.stocked::text,
    'version', NEW.version::text,
    'updated_at', NEW.updated_at
  )::text);
  RETURN NULL;
END $$;

CREATE TRIGGER stock_notify AFTER INSERT OR UPDATE ON stock FOR EACH ROW EXECUTE FUNCTION stock_notify();
