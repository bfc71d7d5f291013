-- Indexes left INVALID (a CREATE INDEX CONCURRENTLY that failed), as (schema, name), in the
-- given schemas (NULL: every schema). The runner warns about them; repair drops them.
SELECT n.nspname, c.relname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid
  AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY 1, 2
