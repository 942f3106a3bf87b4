-- Products for sale. Prices are integers in minor units of their currency.
CREATE TABLE products (
  id            uuid PRIMARY KEY,
  sku           text NOT NULL UNIQUE,
  name          text NOT NULL,
  description   text NOT NULL DEFAULT '',
  currency_code char(3) NOT NULL,
  price_minor   bigint NOT NULL CHECK (price_minor >= 0),
  category      text NOT NULL DEFAULT '',
  image_urls    text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX products_category_id_idx ON products (category, id);
CREATE INDEX products_price_id_idx ON products (price_minor, id);
