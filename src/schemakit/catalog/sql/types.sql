-- User-defined enums, domains, composite and range types (not row types of tables, not arrays).
SELECT n.nspname, t.typname,
       CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
                      WHEN 'c' THEN 'composite' WHEN 'r' THEN 'range'
                      WHEN 'm' THEN 'multirange' ELSE 'base' END,
       pg_get_userbyid(t.typowner),
       ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'c', 'r', 'b')
  -- a composite type of its own, not a table's row type (a hash of the few, not of pg_class)
  AND (t.typtype <> 'c' OR t.typrelid IN (SELECT c.oid FROM pg_class c WHERE c.relkind = 'c'))
  AND (t.typtype <> 'b' OR t.typelem = 0 AND t.typinput <> 'array_in'::regproc)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
  )
ORDER BY 1, 2
