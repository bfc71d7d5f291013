-- The table (schema.name) of the index named by the parameters (schema, index name).
SELECT tn.nspname || '.' || t.relname
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE n.nspname = %s AND i.relname = %s
