-- Checkpoints, windows, bookings and the outbox. The invariants hold here as well as in the
-- schedule actors, so that no code path and no second replica can break them.

CREATE TABLE checkpoints (
    id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{1,40}$'),
    name           text NOT NULL,
    time_zone      text NOT NULL,
    window_minutes integer NOT NULL CHECK (window_minutes > 0),
    directions     jsonb NOT NULL,
    capacity       jsonb NOT NULL
);

CREATE TABLE windows (
    checkpoint_id  text NOT NULL REFERENCES checkpoints (id),
    day            date NOT NULL,
    direction      text NOT NULL CHECK (direction IN ('entry', 'exit')),
    category       text NOT NULL CHECK (category IN ('car', 'truck', 'bus', 'motorcycle')),
    start_at       timestamptz NOT NULL,
    end_at         timestamptz NOT NULL,
    capacity       integer NOT NULL CHECK (capacity >= 0),
    reserved       integer NOT NULL CHECK (reserved BETWEEN 0 AND capacity),
    held           integer NOT NULL DEFAULT 0 CHECK (held >= 0),
    confirmed      integer NOT NULL DEFAULT 0 CHECK (confirmed >= 0),
    blocked_reason text,
    PRIMARY KEY (checkpoint_id, direction, category, start_at),
    CONSTRAINT windows_within_capacity CHECK (held + confirmed <= capacity),
    CHECK (start_at < end_at)
);

CREATE INDEX windows_by_day ON windows (checkpoint_id, day);

CREATE TABLE bookings (
    id                  uuid PRIMARY KEY,
    code                text NOT NULL CHECK (length(code) = 8),
    checkpoint_id       text NOT NULL,
    day                 date NOT NULL,
    direction           text NOT NULL,
    category            text NOT NULL,
    window_start        timestamptz NOT NULL,
    window_end          timestamptz NOT NULL,
    plate               text,
    contact             text,
    priority            text NOT NULL CHECK (priority IN
                          ('normal', 'humanitarian', 'perishable', 'diplomatic', 'emergency')),
    status              text NOT NULL CHECK (status IN
                          ('held', 'confirmed', 'arrived', 'completed', 'cancelled', 'expired', 'no_show')),
    version             bigint NOT NULL CHECK (version > 0),
    manage_token_digest text NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    hold_expires_at     timestamptz,
    moved_from          uuid REFERENCES bookings (id),
    status_after_move   text,
    moved_to            uuid,
    -- Set in the transaction that hands a booking's code to this transfer hold; from then on
    -- the move has happened and the transfer hold must never be dropped.
    code_received       boolean NOT NULL DEFAULT false,
    FOREIGN KEY (checkpoint_id, direction, category, window_start)
        REFERENCES windows (checkpoint_id, direction, category, start_at)
);

CREATE INDEX bookings_by_day ON bookings (checkpoint_id, day);

-- One active booking per vehicle, checkpoint, direction and day.
CREATE UNIQUE INDEX bookings_one_active_per_plate
    ON bookings (checkpoint_id, direction, day, plate)
    WHERE status IN ('held', 'confirmed', 'arrived') AND plate IS NOT NULL;

-- A code belongs to exactly one booking at a time; a move hands it to the new booking.
CREATE TABLE booking_codes (
    code       text PRIMARY KEY,
    booking_id uuid NOT NULL REFERENCES bookings (id)
);

CREATE TABLE outbox (
    seq           bigserial PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    event_type    text NOT NULL,
    checkpoint_id text NOT NULL,
    day           date NOT NULL,
    occurred_at   timestamptz NOT NULL,
    body          jsonb NOT NULL,
    published_at  timestamptz
);

CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

CREATE TABLE idempotency_keys (
    scope          text NOT NULL,
    key            text NOT NULL,
    request_digest text NOT NULL,
    created_at     timestamptz NOT NULL,
    status         smallint,
    content_type   text,
    body           bytea,
    PRIMARY KEY (scope, key)
);
