-- Staff accounts and their refresh tokens, carriers' API keys, and the audit log of what
-- admins and operators did.

CREATE TABLE staff_accounts (
    id            uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9._-]{2,64}$'),
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'analyst')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL,
    disabled_at   timestamptz
);

CREATE TABLE refresh_tokens (
    digest     text PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES staff_accounts (id),
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE api_keys (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL,
    digest              text NOT NULL,
    privileged          boolean NOT NULL DEFAULT false,
    requests_per_second integer NOT NULL CHECK (requests_per_second > 0),
    burst               integer NOT NULL CHECK (burst > 0),
    active_bookings_max integer NOT NULL CHECK (active_bookings_max > 0),
    created_at          timestamptz NOT NULL,
    revoked_at          timestamptz
);

CREATE TABLE audit_log (
    seq    bigserial PRIMARY KEY,
    at     timestamptz NOT NULL,
    actor  text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    before jsonb,
    after  jsonb
);

-- Which carrier's key made a booking: carriers see and change only their own.
ALTER TABLE bookings ADD COLUMN carrier_key_id uuid REFERENCES api_keys (id);
CREATE INDEX bookings_active_by_carrier ON bookings (carrier_key_id)
    WHERE carrier_key_id IS NOT NULL AND status IN ('held', 'confirmed', 'arrived');

-- Strikes against plates (no-shows, the holder's own cancellations) and lifted bars.
CREATE TABLE plate_strikes (
    event_id uuid PRIMARY KEY,
    plate    text NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('no_show', 'cancellation')),
    at       timestamptz NOT NULL
);
CREATE INDEX plate_strikes_by_time ON plate_strikes (at);
CREATE INDEX plate_strikes_by_plate ON plate_strikes (plate, at);

CREATE TABLE bar_lifts (
    plate     text PRIMARY KEY,
    lifted_at timestamptz NOT NULL,
    lifted_by text NOT NULL
);

-- How often each booking has been moved (capped per booking against phantom demand).
ALTER TABLE bookings ADD COLUMN reschedules integer NOT NULL DEFAULT 0 CHECK (reschedules >= 0);

-- Capacity by weekday and hour, and holidays (see `domain::checkpoint::Calendar`).
ALTER TABLE checkpoints ADD COLUMN calendar jsonb NOT NULL DEFAULT '{}';
