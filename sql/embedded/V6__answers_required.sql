-- Every key is written with its answer (V5), so the answer's columns are required, as they are
-- on PostgreSQL. SQLite cannot add NOT NULL to a column: the table is rebuilt.
CREATE TABLE idempotency_keys_required (
    scope          TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    status         INTEGER NOT NULL,
    content_type   TEXT NOT NULL,
    body           BLOB NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT;
INSERT INTO idempotency_keys_required
    SELECT scope, key, request_digest, created_at, status, content_type, body
      FROM idempotency_keys
     WHERE status IS NOT NULL AND content_type IS NOT NULL AND body IS NOT NULL;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_required RENAME TO idempotency_keys;
