-- What the read-only `analyst` role may read on the latest schema: reporting tables only, never
-- contacts' secrets, carriers' keys or the idempotency store. The migration run applies this
-- after it brings a database to the latest version, when the role exists; `borderslot
-- grant-analyst` creates the role and applies it. Every statement must be safe to run again.
GRANT USAGE ON SCHEMA public TO analyst;
GRANT SELECT ON checkpoints, windows, outbox, outbox_events, booking_statistics, opening_draws TO analyst;
GRANT SELECT (id, checkpoint_id, day, direction, category, window_start, window_end, priority,
              status, created_at, updated_at)
    ON bookings TO analyst;
GRANT SELECT (id, checkpoint_id, day, direction, category, priority, seq, status, created_at,
              updated_at)
    ON waitlist_entries TO analyst;
