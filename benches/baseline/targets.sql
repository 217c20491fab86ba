-- The windows a baseline run books, numbered 1..n so that pgbench can pick one at random:
-- the same windows `borderslot loadtest` discovers for the scenario (bookable ones only).
--   psql -v scenario=rush|uniform|soldout -f targets.sql
DROP TABLE IF EXISTS baseline_targets;
CREATE TABLE baseline_targets AS
SELECT row_number() OVER (ORDER BY checkpoint_id, start_at, direction, category) AS n,
       checkpoint_id, direction, category, start_at
  FROM windows
 WHERE blocked_reason IS NULL
   AND capacity > reserved
   AND CASE :'scenario'
         WHEN 'rush' THEN checkpoint_id = 'bench'
                          AND day = (now() AT TIME ZONE 'UTC')::date + 7
         WHEN 'soldout' THEN checkpoint_id = 'narva'
                          AND day = (now() AT TIME ZONE 'UTC')::date + 7
         ELSE day BETWEEN (now() AT TIME ZONE 'UTC')::date + 1
                      AND (now() AT TIME ZONE 'UTC')::date + 28
       END;
CREATE UNIQUE INDEX ON baseline_targets (n);
-- The usual design's outbox: a row per event, each with its id's unique index, its body as
-- jsonb and the index of unpublished rows (the shape the schema had before its outbox kept
-- one row per transaction).
DROP TABLE IF EXISTS baseline_outbox;
CREATE TABLE baseline_outbox (
    seq           bigserial PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    event_type    text NOT NULL,
    checkpoint_id text NOT NULL,
    day           date NOT NULL,
    occurred_at   timestamptz NOT NULL,
    body          jsonb NOT NULL,
    published_at  timestamptz
);
CREATE INDEX ON baseline_outbox (seq) WHERE published_at IS NULL;
-- Codes and plates of baseline bookings are numbered from here.
DROP SEQUENCE IF EXISTS baseline_serial;
CREATE SEQUENCE baseline_serial;
ANALYZE baseline_targets;
SELECT count(*) AS targets FROM baseline_targets \gset
\echo targets :targets
