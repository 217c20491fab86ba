-- One confirmed booking the way most teams write it: one transaction per request, the
-- window row locked with SELECT ... FOR UPDATE, its counter updated, the booking, its code
-- and its two outbox events (held, confirmed, a row each) inserted, COMMIT.
-- A full window is answered by ROLLBACK after the locked read.
--   pgbench -n -M prepared -f book.sql -D targets=N ...
\set n random(1, :targets)
BEGIN;
SELECT w.checkpoint_id, w.day, w.direction, w.category, w.start_at, w.end_at,
       w.capacity - w.reserved - w.held - w.confirmed AS free,
       gen_random_uuid() AS booking_id,
       upper(lpad(to_hex(nextval('baseline_serial')), 8, '0')) AS code
  FROM baseline_targets t
  JOIN windows w USING (checkpoint_id, direction, category, start_at)
 WHERE t.n = :n
   FOR UPDATE OF w
\gset
\if :free > 0
UPDATE windows SET confirmed = confirmed + 1
 WHERE checkpoint_id = :checkpoint_id AND direction = :direction
   AND category = :category AND start_at = :start_at;
INSERT INTO bookings (id, code, checkpoint_id, day, direction, category, window_start,
                      window_end, plate, contact, priority, status, version,
                      manage_token_digest, created_at, updated_at)
VALUES (:booking_id, :code, :checkpoint_id, :day, :direction, :category, :start_at,
        :end_at, 'PG' || :code::text, 'load@example.com', 'normal', 'confirmed', 2,
        encode(sha256(convert_to(:booking_id::text, 'UTF8')), 'hex'), now(), now());
INSERT INTO booking_codes (code, booking_id) VALUES (:code, :booking_id);
INSERT INTO baseline_outbox (event_id, event_type, checkpoint_id, day, occurred_at, body)
SELECT gen_random_uuid(), e.type, :checkpoint_id, :day, now(),
       jsonb_build_object('booking', jsonb_build_object(
           'id', :booking_id::text, 'code', :code::text, 'checkpoint', :checkpoint_id::text,
           'day', :day::text, 'direction', :direction::text, 'category', :category::text,
           'window_start', :start_at::text, 'window_end', :end_at::text,
           'plate', 'PG' || :code::text, 'contact', 'load@example.com',
           'priority', 'normal', 'status', e.status))
  FROM (VALUES ('booking.held', 'held'), ('booking.confirmed', 'confirmed')) AS e (type, status);
COMMIT;
\else
ROLLBACK;
\endif
