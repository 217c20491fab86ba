-- An idempotency key's answer is now written in the same transaction as the change it answers,
-- so a key is never "begun" without an answer; keys a crashed two-step request left begun go.
DELETE FROM idempotency_keys WHERE status IS NULL;
