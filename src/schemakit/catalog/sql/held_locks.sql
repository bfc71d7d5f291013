-- The relation locks a backend (the parameter: its pid) holds in this database, granted only,
-- system and toast relations left out, with what each relation is and its storage file now.
SELECT c.oid::bigint, n.nspname || '.' || c.relname, c.relkind::text, l.mode, c.relfilenode::bigint
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation' AND l.granted AND l.pid = %s
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%%'
ORDER BY 2, 4
