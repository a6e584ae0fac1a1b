-- Changes made by scripts/demo.sh between the two runs: each query mode must pick up its part.
-- Table mode does not see deletes, so there are none.

-- customers, Change Data Capture: two updates and one insert.
UPDATE customers
SET email = 'changed-' || id || '@example.com',
    attributes = attributes || '{"tier": "platinum"}',
    updated_at = now()
WHERE id IN (1, 2);
INSERT INTO customers (id, "FullName", email, updated_at)
VALUES (201, 'New Customer 201', 'customer201@example.com', now());

-- orders, Delta-Timestamp: three updates and two inserts.
UPDATE orders SET status = 'refunded', updated_at = now() WHERE id IN (10, 20, 30);
INSERT INTO orders (id, customer_id, total, status, updated_at)
VALUES (1001, 201, 99.99, 'new', now()), (1002, 1, 12.34, 'new', now());

-- events, Unique Incrementing Append Only: five new rows.
INSERT INTO events (kind, tags, payload)
SELECT 'demo-change', ARRAY['demo', 'second-run'], jsonb_build_object('n', g)
FROM generate_series(1, 5) AS g;

-- Full Load tables: an update, inserts into a keyless table and into a partition.
UPDATE products SET price = price + 1, active = NOT active WHERE sku = 'SKU-0001';
INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price)
VALUES (1001, 1, md5('product-1')::uuid, 1, 99.99);
INSERT INTO page_views (url, customer_id, viewed_at, duration_ms)
VALUES ('/checkout', 201, now(), 1234);
INSERT INTO measurements (sensor_id, measured_at, reading)
VALUES (1, timestamptz '2024-03-31 12:00:00+00', 42.0);
