-- Tables, partitioned tables and their partitions, views, materialized views and foreign
-- tables (no extension members). A partition names its parent: it can live in another schema.
SELECT c.oid, n.nspname, c.relname, c.relkind::text, pg_get_userbyid(c.relowner),
       ds.description, c.relrowsecurity,
       CASE WHEN c.relispartition THEN (
         SELECT pn.nspname || '.' || pc.relname
         FROM pg_inherits i
         JOIN pg_class pc ON pc.oid = i.inhparent
         JOIN pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid
       ) END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description ds
  ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND c.oid NOT IN (
    SELECT d.objid FROM pg_depend d
    -- an extension's members, found from the extensions' side (an index scan, not a read of
    -- every dependency of every relation)
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass
      AND d.deptype = 'e'
  )
