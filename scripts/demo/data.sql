-- Deterministic demo rows (generate_series only): 5,978 rows in 7 tables.
SET TIME ZONE 'UTC';

INSERT INTO customers (id, "FullName", email, attributes, updated_at)
SELECT g,
       CASE WHEN g % 50 = 0 THEN 'Zoë Ünicode ' || g ELSE 'Customer ' || g END,
       'customer' || g || '@example.com',
       jsonb_build_object('tier', (ARRAY['bronze', 'silver', 'gold'])[1 + g % 3], 'newsletter', g % 2 = 0),
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 200) AS g;

INSERT INTO products (id, sku, name, price, active, launched_on)
SELECT md5('product-' || g)::uuid,
       'SKU-' || lpad(g::text, 4, '0'),
       'Product ' || g,
       round(1 + (g * 7919 % 10000) / 100.0, 2),
       g % 5 <> 0,
       date '2023-01-01' + g * 7
FROM generate_series(1, 50) AS g;

-- Ten orders share each updated_at value: the Delta-Timestamp boundary sees ties.
INSERT INTO orders (id, customer_id, total, status, updated_at)
SELECT g,
       1 + (g * 7) % 200,
       round(5 + (g * 3779 % 100000) / 100.0, 2),
       (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       timestamptz '2024-02-01 00:00:00+00' + (g / 10) * interval '10 minutes'
FROM generate_series(1, 1000) AS g;

INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price)
SELECT o, l,
       md5('product-' || (1 + (o * 3 + l) % 50))::uuid,
       1 + (o + l) % 5,
       round(1 + ((o * 31 + l) * 7919 % 10000) / 100.0, 2)
FROM generate_series(1, 1000) AS o, generate_series(1, 1 + (o - 1) % 4) AS l;

INSERT INTO events (kind, tags, payload, created_at)
SELECT (ARRAY['login', 'logout', 'purchase', 'view'])[1 + g % 4],
       ARRAY['demo', 'k' || g % 5],
       CASE WHEN g % 10 = 0 THEN NULL ELSE jsonb_build_object('n', g) END,
       timestamptz '2024-03-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, 1000) AS g;

INSERT INTO page_views (url, customer_id, viewed_at, duration_ms)
SELECT '/products/' || (1 + g % 50),
       CASE WHEN g % 7 = 0 THEN NULL ELSE 1 + g % 200 END,
       timestamptz '2024-03-01 00:00:00+00' + g * interval '1 second',
       100 + g * 13 % 5000
FROM generate_series(1, 500) AS g;

INSERT INTO measurements (sensor_id, measured_at, reading)
SELECT s, d, round((20 + 5 * sin(s + extract(doy FROM d)))::numeric, 3)::double precision
FROM generate_series(1, 8) AS s,
     generate_series(timestamptz '2024-01-01 00:00:00+00', timestamptz '2024-03-31 00:00:00+00', interval '1 day') AS d;

ANALYZE;
