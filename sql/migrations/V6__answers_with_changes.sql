-- An idempotency key's answer is now written in the same transaction as the change it answers,
-- so a key is never "begun" without an answer. Keys a crashed two-step request left begun
-- carry no effect of their own and go; answered ones stay (a retry of them is still answered).
DELETE FROM idempotency_keys WHERE status IS NULL;
ALTER TABLE idempotency_keys
    ALTER COLUMN status SET NOT NULL,
    ALTER COLUMN content_type SET NOT NULL,
    ALTER COLUMN body SET NOT NULL;

-- One row per committed schedule transaction: when the connection drops during COMMIT, a
-- fresh connection looks the transaction's id up to learn whether it was applied.
CREATE TABLE commit_log (
    batch_id     uuid PRIMARY KEY,
    committed_at timestamptz NOT NULL DEFAULT now()
);
