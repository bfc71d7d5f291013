-- User-defined enums, domains, composite and range types (not row types of tables, not arrays).
SELECT n.nspname, t.typname,
       CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
                      WHEN 'c' THEN 'composite' WHEN 'r' THEN 'range'
                      WHEN 'm' THEN 'multirange' ELSE 'base' END,
       pg_get_userbyid(t.typowner),
       ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_class c ON c.oid = t.typrelid
WHERE t.typtype IN ('e', 'd', 'c', 'r', 'b')
  AND (t.typtype <> 'c' OR c.relkind = 'c')
  AND (t.typtype <> 'b' OR t.typelem = 0 AND t.typinput <> 'array_in'::regproc)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
  )
ORDER BY 1, 2
