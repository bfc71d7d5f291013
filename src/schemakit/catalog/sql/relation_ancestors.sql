-- Every ancestor (inheritance parent or partitioned table, up the whole chain) of the given
-- relation oids: (oid, schema.name of one ancestor) per row.
WITH RECURSIVE up(child, parent) AS (
    SELECT inhrelid, inhparent FROM pg_inherits WHERE inhrelid = ANY(%s::oid[])
    UNION
    SELECT up.child, i.inhparent FROM up JOIN pg_inherits i ON i.inhrelid = up.parent
)
SELECT up.child::bigint, n.nspname || '.' || c.relname
FROM up JOIN pg_class c ON c.oid = up.parent JOIN pg_namespace n ON n.oid = c.relnamespace
