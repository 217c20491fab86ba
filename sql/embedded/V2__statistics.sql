-- Which events each consumer has applied, and booking statistics per local day, hour and
-- category (the same tables as PostgreSQL's V3).

CREATE TABLE processed_events (
    consumer     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
) STRICT;

CREATE TABLE booking_statistics (
    checkpoint_id     TEXT NOT NULL REFERENCES checkpoints (id),
    day               TEXT NOT NULL,
    hour              INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    category          TEXT NOT NULL CHECK (category IN ('car', 'truck', 'bus', 'motorcycle')),
    holds             INTEGER NOT NULL DEFAULT 0,
    confirmations     INTEGER NOT NULL DEFAULT 0,
    cancellations     INTEGER NOT NULL DEFAULT 0,
    expiries          INTEGER NOT NULL DEFAULT 0,
    reschedules       INTEGER NOT NULL DEFAULT 0,
    arrivals          INTEGER NOT NULL DEFAULT 0,
    no_shows          INTEGER NOT NULL DEFAULT 0,
    lead_time_seconds INTEGER NOT NULL DEFAULT 0,
    lead_times        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (checkpoint_id, day, hour, category)
) STRICT;

-- Reminders look up the confirmed bookings whose window starts soon.
CREATE INDEX bookings_confirmed_by_start ON bookings (window_start) WHERE status = 'confirmed';
