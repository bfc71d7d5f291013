-- Triggers on tables and views (not the ones PostgreSQL makes for foreign keys), with the
-- function each runs and that function's owner: a trigger runs with its function's rights
-- when SECURITY DEFINER, and whoever owns the function decides what it does.
SELECT n.nspname, c.relname, t.tgname, pn.nspname, p.proname, pg_get_userbyid(p.proowner),
       t.tgenabled <> 'D'
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
ORDER BY 1, 2, 3
