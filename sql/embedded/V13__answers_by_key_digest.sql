-- Stored answers are found by a digest of the client's scope and key (`answer_key_id`, the
-- same as on PostgreSQL) instead of the two strings, and the request digest is kept as its 32
-- bytes: the table no longer keeps the client's address or key in the clear.
CREATE TABLE idempotency_answers (
    key_id         TEXT NOT NULL PRIMARY KEY,
    request_digest BLOB NOT NULL CHECK (length(request_digest) = 32),
    created_at     TEXT NOT NULL,
    status         INTEGER NOT NULL,
    content_type   TEXT NOT NULL,
    body           BLOB NOT NULL
) STRICT;
INSERT INTO idempotency_answers
    SELECT answer_key_id(scope, key), unhex(request_digest), created_at, status, content_type,
           body
      FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_answers RENAME TO idempotency_keys;
