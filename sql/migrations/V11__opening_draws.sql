-- Fair openings. A checkpoint may publish when its days open for booking (`opening`: days
-- ahead, local time of day, and the draw period around that moment); without one, its days
-- open as soon as they come within the booking horizon.
--
-- Requests that arrive during a day's draw period are entries of its draw, stored before they
-- are answered (202). When the period ends, the day's schedule actor admits the entrants in the
-- order of a random seed and writes the bookings it made, every entrant's outcome and the
-- draw's seed in one transaction, on the condition that the draw is still open with exactly
-- the entrants it decided on: so a draw runs once however many replicas try, and an entry
-- that commits meanwhile makes the draw be decided again rather than be left out. Entries and
-- the close meet on the draw's row (the entry's upsert and the close's both lock it).
ALTER TABLE checkpoints ADD COLUMN opening jsonb NOT NULL DEFAULT 'null'::jsonb;

CREATE TABLE opening_draws (
    checkpoint_id text NOT NULL REFERENCES checkpoints (id),
    day           date NOT NULL,
    draw_opens_at timestamptz NOT NULL,
    opens_at      timestamptz NOT NULL,
    closes_at     timestamptz NOT NULL,
    entrants      integer NOT NULL DEFAULT 0 CHECK (entrants >= 0),
    closed_at     timestamptz,
    -- 32 random bytes as hex, published with the result; the order is recomputed from it.
    seed          text CHECK (seed ~ '^[0-9a-f]{64}$'),
    admitted      integer NOT NULL DEFAULT 0 CHECK (admitted BETWEEN 0 AND entrants),
    PRIMARY KEY (checkpoint_id, day),
    CHECK ((closed_at IS NULL) = (seed IS NULL)),
    CHECK (draw_opens_at <= opens_at AND opens_at <= closes_at)
);

-- What the draw job looks for: open draws by the end of their period.
CREATE INDEX opening_draws_open ON opening_draws (closes_at) WHERE closed_at IS NULL;

-- An entry's id is the pseudonym the published draw log names it by; plates and contacts stay
-- here, which analysts do not read.
CREATE TABLE draw_entries (
    id                  uuid PRIMARY KEY,
    checkpoint_id       text NOT NULL,
    day                 date NOT NULL,
    booking_id          uuid NOT NULL UNIQUE,
    manage_token_digest text NOT NULL,
    direction           text NOT NULL CHECK (direction IN ('entry', 'exit')),
    category            text NOT NULL CHECK (category IN ('car', 'truck', 'bus', 'motorcycle')),
    window_start        timestamptz NOT NULL,
    plate               text,
    contact             text,
    priority            text NOT NULL,
    confirm             boolean NOT NULL,
    carrier_key_id      uuid,
    entered_at          timestamptz NOT NULL,
    position            integer NOT NULL DEFAULT 0 CHECK (position >= 0),
    outcome             text CHECK (outcome IN ('admitted', 'refused')),
    code                text,
    refusal_type        text,
    refusal_detail      text,
    FOREIGN KEY (checkpoint_id, day) REFERENCES opening_draws (checkpoint_id, day),
    CHECK ((outcome = 'admitted') = (code IS NOT NULL)),
    CHECK ((outcome IS NULL) = (position = 0))
);

CREATE INDEX draw_entries_of_day ON draw_entries (checkpoint_id, day, entered_at);
-- One entry per plate, day and direction: more entries would be more tickets.
CREATE UNIQUE INDEX draw_entries_one_per_plate ON draw_entries (checkpoint_id, day, direction, plate)
    WHERE plate IS NOT NULL;
