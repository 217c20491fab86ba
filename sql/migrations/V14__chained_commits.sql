-- A day's next write may be sent while its previous transaction is committing, and then
-- commits only if that one did. It learns which by inserting the previous transaction's id:
-- the insert waits for that transaction, and a row that is there afterwards is either the
-- transaction's own (it committed) or a claim, made by this write or by a connection looking
-- a lost COMMIT up (it never will). Claims are marked so that the two read apart.
ALTER TABLE commit_log ADD COLUMN claimed boolean NOT NULL DEFAULT false;
