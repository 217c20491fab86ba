-- Which process runs each periodic job, and until when. One replica at a time holds a job's
-- lease and renews it every round, so a job on a timer runs once per period however many
-- replicas run it; when the holder dies, another takes the job over once the lease expires.
CREATE TABLE job_leases (
    job        text PRIMARY KEY,
    holder     uuid NOT NULL,
    expires_at timestamptz NOT NULL
);
