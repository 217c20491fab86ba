-- Staff accounts and their refresh tokens, carriers' API keys, and the audit log (the same
-- tables as PostgreSQL's V4).

CREATE TABLE staff_accounts (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'analyst')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
) STRICT;

CREATE TABLE refresh_tokens (
    digest     TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES staff_accounts (id),
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE TABLE api_keys (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    digest              TEXT NOT NULL,
    privileged          INTEGER NOT NULL DEFAULT 0,
    requests_per_second INTEGER NOT NULL CHECK (requests_per_second > 0),
    burst               INTEGER NOT NULL CHECK (burst > 0),
    active_bookings_max INTEGER NOT NULL CHECK (active_bookings_max > 0),
    created_at          TEXT NOT NULL,
    revoked_at          TEXT
) STRICT;

CREATE TABLE audit_log (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after  TEXT
) STRICT;

-- Which carrier's key made a booking: carriers see and change only their own.
ALTER TABLE bookings ADD COLUMN carrier_key_id TEXT REFERENCES api_keys (id);
CREATE INDEX bookings_active_by_carrier ON bookings (carrier_key_id)
    WHERE carrier_key_id IS NOT NULL AND status IN ('held', 'confirmed', 'arrived');

-- Strikes against plates (no-shows, the holder's own cancellations) and lifted bars.
CREATE TABLE plate_strikes (
    event_id TEXT PRIMARY KEY,
    plate    TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('no_show', 'cancellation')),
    at       TEXT NOT NULL
) STRICT;
CREATE INDEX plate_strikes_by_time ON plate_strikes (at);
CREATE INDEX plate_strikes_by_plate ON plate_strikes (plate, at);

CREATE TABLE bar_lifts (
    plate     TEXT PRIMARY KEY,
    lifted_at TEXT NOT NULL,
    lifted_by TEXT NOT NULL
) STRICT;

-- How often each booking has been moved (capped per booking against phantom demand).
ALTER TABLE bookings ADD COLUMN reschedules INTEGER NOT NULL DEFAULT 0 CHECK (reschedules >= 0);

-- Capacity by weekday and hour, and holidays (see `domain::checkpoint::Calendar`).
ALTER TABLE checkpoints ADD COLUMN calendar TEXT NOT NULL DEFAULT '{}';
