-- The drivers waiting for a place (see the PostgreSQL migration V10).
CREATE TABLE waitlist_entries (
    id               TEXT PRIMARY KEY,
    checkpoint_id    TEXT NOT NULL REFERENCES checkpoints (id),
    day              TEXT NOT NULL,
    direction        TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    category         TEXT NOT NULL CHECK (category IN ('car', 'truck', 'bus', 'motorcycle')),
    plate            TEXT NOT NULL,
    contact          TEXT NOT NULL,
    priority         TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN
                       ('waiting', 'offered', 'accepted', 'expired', 'declined', 'left')),
    version          INTEGER NOT NULL CHECK (version > 0),
    token_digest     TEXT NOT NULL,
    booking_id       TEXT REFERENCES bookings (id),
    offer_booking_id TEXT REFERENCES bookings (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    body             TEXT NOT NULL,
    UNIQUE (checkpoint_id, day, seq)
) STRICT;

CREATE INDEX waitlist_by_day ON waitlist_entries (checkpoint_id, day);

CREATE UNIQUE INDEX waitlist_one_active_per_plate
    ON waitlist_entries (checkpoint_id, direction, day, plate)
    WHERE status IN ('waiting', 'offered');

ALTER TABLE booking_statistics ADD COLUMN waitlist_joins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE booking_statistics ADD COLUMN waitlist_offers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE booking_statistics ADD COLUMN waitlist_accepted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE booking_statistics ADD COLUMN waitlist_expired INTEGER NOT NULL DEFAULT 0;
