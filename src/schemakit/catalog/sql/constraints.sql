-- Primary key, unique, foreign key, check and exclusion constraints on tables.
-- Keys come as column numbers (in a string, which decodes much faster than an array): the
-- loader names them from the columns it read (one probe per
-- key column here cost more than the rest of the query). A foreign key to a table it does not
-- read (pg_catalog, information_schema) gets its names here.
-- The definition is pg_get_constraintdef()'s text, but for a primary key or unique constraint
-- that is only its columns (not deferrable, its index with no INCLUDE, storage parameters,
-- tablespace, NULLS NOT DISTINCT or WITHOUT OVERLAPS) the loader writes the same text;
-- foreign keys have none.
-- A table's constraints live in its schema (connamespace): no read of pg_class for that; the
-- loader skips those of relations it does not read. Domains' constraints have no relation.
-- The loader swaps ix.indnullsnotdistinct (PostgreSQL 15) and con.conperiod (17: WITHOUT
-- OVERLAPS) for false on older servers.
SELECT con.conrelid, con.conname, con.contype::text, array_to_string(con.conkey, ' '),
       fn.nspname, fc.relname, con.confrelid, array_to_string(con.confkey, ' '),
       con.confdeltype::text, con.convalidated,
       CASE WHEN con.contype = 'f' OR con.contype IN ('p', 'u') AND NOT con.condeferrable
                 AND ix.indnatts = ix.indnkeyatts AND NOT ix.indnullsnotdistinct
                 AND NOT con.conperiod
                 AND cic.reloptions IS NULL AND cic.reltablespace = 0
            THEN NULL ELSE pg_get_constraintdef(con.oid, true) END,
       CASE WHEN fn.nspname IN ('pg_catalog', 'information_schema') THEN ARRAY(
         SELECT (SELECT a.attname FROM pg_attribute a
                 WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum)
         FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
         ORDER BY k.ord
       ) END
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_index ix ON ix.indexrelid = con.conindid AND con.contype IN ('p', 'u')
LEFT JOIN pg_class cic ON cic.oid = ix.indexrelid
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND con.conrelid <> 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
