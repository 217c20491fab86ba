-- Embedded (SQLite) schema. Timestamps are UTC text in one fixed format, so they sort as text.
-- The invariants are guarded here as well as in the schedule actors.

CREATE TABLE checkpoints (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    window_minutes INTEGER NOT NULL CHECK (window_minutes > 0),
    directions     TEXT NOT NULL,  -- JSON array
    capacity       TEXT NOT NULL   -- JSON object: category -> {capacity, reserved}
) STRICT;

CREATE TABLE windows (
    checkpoint_id  TEXT NOT NULL REFERENCES checkpoints (id),
    day            TEXT NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    category       TEXT NOT NULL CHECK (category IN ('car', 'truck', 'bus', 'motorcycle')),
    start_at       TEXT NOT NULL,
    end_at         TEXT NOT NULL,
    capacity       INTEGER NOT NULL CHECK (capacity >= 0),
    reserved       INTEGER NOT NULL CHECK (reserved BETWEEN 0 AND capacity),
    held           INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    confirmed      INTEGER NOT NULL DEFAULT 0 CHECK (confirmed >= 0),
    blocked_reason TEXT,
    PRIMARY KEY (checkpoint_id, direction, category, start_at),
    CHECK (held + confirmed <= capacity),
    CHECK (start_at < end_at)
) STRICT;

CREATE INDEX windows_by_day ON windows (checkpoint_id, day);

CREATE TABLE bookings (
    id                  TEXT PRIMARY KEY,
    code                TEXT NOT NULL,
    checkpoint_id       TEXT NOT NULL,
    day                 TEXT NOT NULL,
    direction           TEXT NOT NULL,
    category            TEXT NOT NULL,
    window_start        TEXT NOT NULL,
    window_end          TEXT NOT NULL,
    plate               TEXT,
    contact             TEXT,
    priority            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN
                          ('held', 'confirmed', 'arrived', 'completed', 'cancelled', 'expired', 'no_show')),
    version             INTEGER NOT NULL CHECK (version > 0),
    manage_token_digest TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    hold_expires_at     TEXT,
    moved_from          TEXT REFERENCES bookings (id),
    status_after_move   TEXT,
    moved_to            TEXT,
    -- Set when a booking's code is handed to this transfer hold: the move has happened.
    code_received       INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (checkpoint_id, direction, category, window_start)
        REFERENCES windows (checkpoint_id, direction, category, start_at)
) STRICT;

CREATE INDEX bookings_by_day ON bookings (checkpoint_id, day);

-- One active booking per vehicle, checkpoint, direction and day.
CREATE UNIQUE INDEX bookings_one_active_per_plate
    ON bookings (checkpoint_id, direction, day, plate)
    WHERE status IN ('held', 'confirmed', 'arrived') AND plate IS NOT NULL;

-- A code belongs to exactly one booking at a time; a move hands it to the new booking.
CREATE TABLE booking_codes (
    code       TEXT PRIMARY KEY,
    booking_id TEXT NOT NULL REFERENCES bookings (id)
) STRICT;

CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    day          TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_at TEXT
) STRICT;

CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    status         INTEGER,
    content_type   TEXT,
    body           BLOB,
    PRIMARY KEY (scope, key)
) STRICT;
