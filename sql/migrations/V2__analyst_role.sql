-- A read-only role for analysts: reporting tables only, never contacts' secrets or the
-- idempotency store. Created once per cluster; granted again on every database.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'analyst') THEN
        CREATE ROLE analyst NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO analyst;
GRANT SELECT ON checkpoints, windows, outbox TO analyst;
GRANT SELECT (id, checkpoint_id, day, direction, category, window_start, window_end, priority,
              status, created_at, updated_at)
    ON bookings TO analyst;
