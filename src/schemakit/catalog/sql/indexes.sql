-- Indexes with their key columns (expressions rendered as SQL), predicate and validity.
SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary, i.indisvalid,
       ARRAY(
         SELECT pg_get_indexdef(i.indexrelid, k, true)
         FROM generate_series(1, i.indnkeyatts) AS k
         ORDER BY k
       ),
       pg_get_expr(i.indpred, i.indrelid), am.amname, pg_get_indexdef(i.indexrelid),
       con.conname
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT c.relispartition
