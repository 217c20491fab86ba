-- The outbox holds one row per transaction, carrying that transaction's events in order as a
-- JSON array, instead of one row per event. A batch of a hundred bookings wrote two hundred
-- event rows, each with three index entries, its JSON parsed into jsonb, and rewritten whole
-- when the relay marked it published: more of the database's work per booking than the
-- booking itself. Events keep their own ids; the relay still publishes them one by one.
ALTER TABLE outbox RENAME TO outbox_by_event;
ALTER INDEX outbox_pkey RENAME TO outbox_by_event_pkey;
ALTER INDEX outbox_unpublished RENAME TO outbox_by_event_unpublished;
ALTER TABLE outbox_by_event RENAME CONSTRAINT outbox_event_id_key TO outbox_by_event_event_id_key;
ALTER SEQUENCE outbox_seq_seq RENAME TO outbox_by_event_seq_seq;

CREATE TABLE outbox (
    seq          bigserial PRIMARY KEY,
    event_count  integer NOT NULL CHECK (event_count > 0),
    -- When the first of the events happened: how far the relay is behind.
    occurred_at  timestamptz NOT NULL,
    -- Text, not jsonb: nothing in the database looks inside a row on the write path, and
    -- parsing it there cost as much as writing it. `outbox_events` reads it as JSON.
    events       text NOT NULL,
    published_at timestamptz
);

CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

-- lz4 compresses a large batch of events several times faster than the default pglz; a server
-- built without it keeps the default.
DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN events SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END
$$;

INSERT INTO outbox (event_count, occurred_at, events, published_at)
SELECT 1, occurred_at, jsonb_build_array(body)::text, published_at
  FROM outbox_by_event
 ORDER BY seq;

DROP TABLE outbox_by_event;

-- One row per event, as the outbox was, for reading with SQL.
CREATE VIEW outbox_events AS
SELECT o.seq,
       e.position,
       (e.event ->> 'id')::uuid AS event_id,
       e.event ->> 'type' AS event_type,
       e.event ->> 'checkpoint' AS checkpoint_id,
       (e.event ->> 'day')::date AS day,
       (e.event ->> 'occurred_at')::timestamptz AS occurred_at,
       e.event AS body,
       o.published_at
  FROM outbox o
 CROSS JOIN LATERAL jsonb_array_elements(o.events::jsonb) WITH ORDINALITY AS e (event, position);
