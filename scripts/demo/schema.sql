-- Source schema of the demo (scripts/demo.sh): one table per case pg-ingest must handle.
SET client_min_messages = warning;

-- Change Data Capture (updated_at + id); a mixed-case column and jsonb.
CREATE TABLE customers (
    id          bigint PRIMARY KEY,
    "FullName"  text        NOT NULL,
    email       text        NOT NULL,
    attributes  jsonb       NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Delta-Timestamp on an indexed updated_at; exact numeric; a foreign key.
CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint        NOT NULL REFERENCES customers (id),
    total       numeric(12,2) NOT NULL,
    status      text          NOT NULL,
    updated_at  timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX orders_updated_at_idx ON orders (updated_at);

-- Full Load: uuid key, numeric, boolean, date.
CREATE TABLE products (
    id          uuid PRIMARY KEY,
    sku         text          NOT NULL UNIQUE,
    name        text          NOT NULL,
    price       numeric(10,2) NOT NULL,
    active      boolean       NOT NULL,
    launched_on date          NOT NULL
);

-- Full Load with a composite primary key.
CREATE TABLE order_items (
    order_id    bigint        NOT NULL REFERENCES orders (id),
    line_no     integer       NOT NULL,
    product_id  uuid          NOT NULL REFERENCES products (id),
    quantity    integer       NOT NULL,
    unit_price  numeric(10,2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

-- Unique Incrementing Append Only on a bigserial; a text[] (arrives as a JSON array text).
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    kind        text        NOT NULL,
    tags        text[]      NOT NULL,
    payload     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- No primary key and no unique index: append-only in the destination, with _pgingest_id.
CREATE TABLE page_views (
    url         text        NOT NULL,
    customer_id bigint,
    viewed_at   timestamptz NOT NULL,
    duration_ms integer
);

-- Partitioned by month: replicated once, through its root, never partition by partition.
CREATE TABLE measurements (
    sensor_id   integer          NOT NULL,
    measured_at timestamptz      NOT NULL,
    reading     double precision NOT NULL,
    PRIMARY KEY (sensor_id, measured_at)
) PARTITION BY RANGE (measured_at);
CREATE TABLE measurements_2024_01 PARTITION OF measurements
    FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00');
CREATE TABLE measurements_2024_02 PARTITION OF measurements
    FOR VALUES FROM ('2024-02-01 00:00:00+00') TO ('2024-03-01 00:00:00+00');
CREATE TABLE measurements_2024_03 PARTITION OF measurements
    FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-04-01 00:00:00+00');

-- A view: never replicated by table-mode pipelines (only through Custom SQL).
CREATE VIEW customer_order_totals AS
SELECT c.id, c."FullName", count(o.id) AS orders, coalesce(sum(o.total), 0) AS total
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id
GROUP BY c.id, c."FullName";
