-- Confirmed bookings in bulk, for the backup drill: :bookings bookings, 30 to a window, in
-- windows of a checkpoint of their own (:checkpoint, a copy of narva) starting at :first,
-- hour after hour. Window counts agree with the bookings, so the audit passes. Codes start with
-- 0, which the service's code alphabet lacks, so they can never collide with a real one;
-- :code_base and :tag keep the batches of one run apart.
--   psql -v bookings=1000000 -v checkpoint=bulk -v first='2020-01-01 00:00+00' \
--        -v code_base=0 -v tag=A -f scripts/sql/bulk-bookings.sql
\set ON_ERROR_STOP on
BEGIN;

CREATE TEMP TABLE template ON COMMIT DROP AS SELECT * FROM checkpoints WHERE id = 'narva';
UPDATE template SET id = :'checkpoint', name = 'Backup drill';
INSERT INTO checkpoints SELECT * FROM template ON CONFLICT (id) DO NOTHING;

-- Window j: hour j / 4 after :first, both directions, cars and trucks.
CREATE TEMP VIEW slots AS
SELECT j,
       timestamptz :'first' + (j / 4) * interval '1 hour' AS start_at,
       (ARRAY['entry', 'exit'])[1 + j % 2] AS direction,
       (ARRAY['car', 'truck'])[1 + (j / 2) % 2] AS category
FROM generate_series(0, (:bookings - 1) / 30) AS j;

-- Window j holds bookings 30 j .. 30 j + 29, so its count is known before they are written
-- (counting them afterwards in the same transaction, before any statistics, is slow).
INSERT INTO windows (checkpoint_id, day, direction, category, start_at, end_at, capacity, reserved,
                     confirmed)
SELECT :'checkpoint', (start_at AT TIME ZONE 'UTC')::date, direction, category,
       start_at, start_at + interval '1 hour', 100, 0, least(30, :bookings - 30 * j)
FROM slots;

WITH booked AS (
    INSERT INTO bookings (id, code, checkpoint_id, day, direction, category, window_start,
                          window_end, plate, contact, priority, status, version,
                          manage_token_digest, created_at, updated_at)
    SELECT gen_random_uuid(), '0' || upper(lpad(to_hex(:code_base + i), 7, '0')),
           :'checkpoint', (s.start_at AT TIME ZONE 'UTC')::date, s.direction, s.category,
           s.start_at, s.start_at + interval '1 hour', 'D' || :'tag' || i,
           'drill' || i || '@example.com', 'normal', 'confirmed', 1, md5(i::text), now(), now()
    FROM generate_series(0, :bookings - 1) AS i
    JOIN slots s ON s.j = i / 30
    RETURNING code, id
)
INSERT INTO booking_codes (code, booking_id) SELECT code, id FROM booked;

COMMIT;
