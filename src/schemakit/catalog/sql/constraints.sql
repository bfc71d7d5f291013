-- Primary key, unique, foreign key, check and exclusion constraints on tables.
-- Column names are looked up one key at a time (an index probe each); the referenced columns
-- and the definition are only read where the loader uses them (foreign keys have no definition).
SELECT con.conrelid, con.conname, con.contype::text,
       ARRAY(
         SELECT (SELECT a.attname FROM pg_attribute a
                 WHERE a.attrelid = con.conrelid AND a.attnum = k.attnum)
         FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
         ORDER BY k.ord
       ),
       fn.nspname, fc.relname,
       CASE WHEN con.contype = 'f' THEN ARRAY(
         SELECT (SELECT a.attname FROM pg_attribute a
                 WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum)
         FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
         ORDER BY k.ord
       ) END,
       con.confdeltype::text, con.convalidated,
       CASE WHEN con.contype <> 'f' THEN pg_get_constraintdef(con.oid, true) END
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
