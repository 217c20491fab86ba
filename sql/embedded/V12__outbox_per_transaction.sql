-- The outbox keeps one row per transaction, its events in order as a JSON array (see the
-- PostgreSQL migration V12). Rows already there are carried over as rows of one event each.
CREATE TABLE outbox_of_transactions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_count  INTEGER NOT NULL CHECK (event_count > 0),
    occurred_at  TEXT NOT NULL,
    events       TEXT NOT NULL,
    published_at TEXT
) STRICT;

INSERT INTO outbox_of_transactions (seq, event_count, occurred_at, events, published_at)
SELECT seq, 1, occurred_at, '[' || body || ']', published_at FROM outbox ORDER BY seq;

DROP TABLE outbox;
ALTER TABLE outbox_of_transactions RENAME TO outbox;
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
