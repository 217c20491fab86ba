-- Fair openings (see the PostgreSQL migration V11): when a checkpoint's days open, and the draws
-- whose entrants are admitted in a random order when the opening's draw period ends.
ALTER TABLE checkpoints ADD COLUMN opening TEXT NOT NULL DEFAULT 'null';  -- JSON, null: no draw

CREATE TABLE opening_draws (
    checkpoint_id TEXT NOT NULL REFERENCES checkpoints (id),
    day           TEXT NOT NULL,
    draw_opens_at TEXT NOT NULL,
    opens_at      TEXT NOT NULL,
    closes_at     TEXT NOT NULL,
    entrants      INTEGER NOT NULL DEFAULT 0 CHECK (entrants >= 0),
    closed_at     TEXT,
    seed          TEXT CHECK (length(seed) = 64),
    admitted      INTEGER NOT NULL DEFAULT 0 CHECK (admitted BETWEEN 0 AND entrants),
    PRIMARY KEY (checkpoint_id, day),
    CHECK ((closed_at IS NULL) = (seed IS NULL)),
    CHECK (draw_opens_at <= opens_at AND opens_at <= closes_at)
) STRICT;

CREATE INDEX opening_draws_open ON opening_draws (closes_at) WHERE closed_at IS NULL;

CREATE TABLE draw_entries (
    id                  TEXT PRIMARY KEY NOT NULL,
    checkpoint_id       TEXT NOT NULL,
    day                 TEXT NOT NULL,
    booking_id          TEXT NOT NULL UNIQUE,
    manage_token_digest TEXT NOT NULL,
    direction           TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    category            TEXT NOT NULL CHECK (category IN ('car', 'truck', 'bus', 'motorcycle')),
    window_start        TEXT NOT NULL,
    plate               TEXT,
    contact             TEXT,
    priority            TEXT NOT NULL,
    confirm             INTEGER NOT NULL CHECK (confirm IN (0, 1)),
    carrier_key_id      TEXT,
    entered_at          TEXT NOT NULL,
    position            INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0),
    outcome             TEXT CHECK (outcome IN ('admitted', 'refused')),
    code                TEXT,
    refusal_type        TEXT,
    refusal_detail      TEXT,
    FOREIGN KEY (checkpoint_id, day) REFERENCES opening_draws (checkpoint_id, day),
    CHECK ((outcome = 'admitted') = (code IS NOT NULL)),
    CHECK ((outcome IS NULL) = (position = 0))
) STRICT;

CREATE INDEX draw_entries_of_day ON draw_entries (checkpoint_id, day, entered_at);
CREATE UNIQUE INDEX draw_entries_one_per_plate ON draw_entries (checkpoint_id, day, direction, plate)
    WHERE plate IS NOT NULL;
