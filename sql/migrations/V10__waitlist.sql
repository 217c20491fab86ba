-- The drivers waiting for a place in windows that are full, per checkpoint day. The columns
-- say what the constraints and analysts need; `body` is the whole entry as the schedule keeps
-- it (its range of windows, its offer). One active entry (waiting or offered) per vehicle,
-- checkpoint, direction and day, as for bookings.
CREATE TABLE waitlist_entries (
    id               uuid PRIMARY KEY,
    checkpoint_id    text NOT NULL REFERENCES checkpoints (id),
    day              date NOT NULL,
    direction        text NOT NULL CHECK (direction IN ('entry', 'exit')),
    category         text NOT NULL CHECK (category IN ('car', 'truck', 'bus', 'motorcycle')),
    plate            text NOT NULL,
    contact          text NOT NULL,
    priority         text NOT NULL CHECK (priority IN
                       ('normal', 'humanitarian', 'perishable', 'diplomatic', 'emergency')),
    seq              bigint NOT NULL,
    status           text NOT NULL CHECK (status IN
                       ('waiting', 'offered', 'accepted', 'expired', 'declined', 'left')),
    version          bigint NOT NULL CHECK (version > 0),
    token_digest     text NOT NULL,
    -- The booking an entry made from one would move to an earlier window.
    booking_id       uuid REFERENCES bookings (id),
    -- The hold that keeps the place offered, while and after it is offered.
    offer_booking_id uuid REFERENCES bookings (id),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    body             jsonb NOT NULL,
    UNIQUE (checkpoint_id, day, seq)
);

CREATE INDEX waitlist_by_day ON waitlist_entries (checkpoint_id, day);

CREATE UNIQUE INDEX waitlist_one_active_per_plate
    ON waitlist_entries (checkpoint_id, direction, day, plate)
    WHERE status IN ('waiting', 'offered');

-- The waitlist's statistics beside the bookings', per local day, hour and category of the
-- windows waited for (the first of the range) or offered.
ALTER TABLE booking_statistics
    ADD COLUMN waitlist_joins    bigint NOT NULL DEFAULT 0,
    ADD COLUMN waitlist_offers   bigint NOT NULL DEFAULT 0,
    ADD COLUMN waitlist_accepted bigint NOT NULL DEFAULT 0,
    ADD COLUMN waitlist_expired  bigint NOT NULL DEFAULT 0;
