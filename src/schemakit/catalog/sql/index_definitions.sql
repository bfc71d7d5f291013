-- pg_get_indexdef's text for the indexes (the oids passed) whose text the loader could not
-- write itself (a column whose default operator class is not exactly its type's, or another
-- collation): sent after the others, in the same snapshot.
SELECT i.indexrelid, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indexrelid = ANY (%s::oid[])
