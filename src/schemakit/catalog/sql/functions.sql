-- Functions, procedures and aggregates that no extension installed; SECURITY DEFINER and
-- their SET settings (proconfig: a fixed search_path is one) for the SEC rules.
SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind::text,
       pg_get_userbyid(p.proowner), l.lanname, p.prosecdef, p.proconfig
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  )
ORDER BY 1, 2, 3
