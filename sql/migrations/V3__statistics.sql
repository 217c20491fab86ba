-- What the data-processing side keeps: which events each consumer has applied (so that a
-- redelivered event changes nothing) and booking statistics per local day, hour and category.

CREATE TABLE processed_events (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE booking_statistics (
    checkpoint_id     text NOT NULL REFERENCES checkpoints (id),
    day               date NOT NULL,
    hour              smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    category          text NOT NULL CHECK (category IN ('car', 'truck', 'bus', 'motorcycle')),
    holds             bigint NOT NULL DEFAULT 0,
    confirmations     bigint NOT NULL DEFAULT 0,
    cancellations     bigint NOT NULL DEFAULT 0,
    expiries          bigint NOT NULL DEFAULT 0,
    reschedules       bigint NOT NULL DEFAULT 0,
    arrivals          bigint NOT NULL DEFAULT 0,
    no_shows          bigint NOT NULL DEFAULT 0,
    lead_time_seconds bigint NOT NULL DEFAULT 0,
    lead_times        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (checkpoint_id, day, hour, category)
);

-- Analysts read it (sql/grants/analyst.sql).

-- Reminders look up the confirmed bookings whose window starts soon.
CREATE INDEX bookings_confirmed_by_start ON bookings (window_start) WHERE status = 'confirmed';
