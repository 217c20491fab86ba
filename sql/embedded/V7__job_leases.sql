-- Which process runs each periodic job, and until when (see the PostgreSQL migration). With
-- one process per file it is always the same holder, but the same jobs run the same code.
CREATE TABLE job_leases (
    job        TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
