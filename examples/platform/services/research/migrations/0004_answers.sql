-- Answer counts for research queries, written in a hurry against the live research.queries:
-- DELIBERATE violations of the migration-safety (MIG) rules, for the demo. Each statement
-- succeeds; each one locks or rewrites a table that serves traffic.

-- DELIBERATE (MIG010): no SET lock_timeout first. Waiting behind a long transaction for
-- its ACCESS EXCLUSIVE lock, this ALTER queues every query on research.queries behind it.
-- DELIBERATE (MIG022): no SET statement_timeout either, for the scans and rewrite below.
ALTER TABLE research.queries ADD COLUMN answer_count integer;

-- DELIBERATE (MIG011): the backfill runs in the ALTER's transaction, under its lock.
UPDATE research.queries SET answer_count = 0;

-- DELIBERATE (MIG005): scans every row under the lock; no validated CHECK proves it.
ALTER TABLE research.queries ALTER COLUMN answer_count SET NOT NULL;

-- DELIBERATE (MIG006): text to varchar(500) rewrites the table (widening would not).
ALTER TABLE research.queries ALTER COLUMN question TYPE varchar(500);

-- DELIBERATE (MIG007): checked against every row at once, under ACCESS EXCLUSIVE.
ALTER TABLE research.queries ADD CONSTRAINT queries_question_not_blank CHECK (question <> '');
