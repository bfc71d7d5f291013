-- Every enum type, as (schema, name): generate creates the ones a new revision uses first.
SELECT n.nspname, t.typname
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e'
