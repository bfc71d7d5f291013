-- Columns of the relations tables.sql returns, with their position (attnum), type and
-- collation oids (the loader names index and constraint keys from these rows, and checks an
-- index column's operator class against its type). Not sorted: the loader orders them, which
-- is cheaper than sorting every column row on the server. Their defaults come from
-- defaults.sql.
-- A type's name comes from a subquery of its own (OFFSET 0 keeps the planner from merging it
-- into the join), which the planner memoizes by (type, modifier): format_type runs once per
-- distinct type of column, not once per column, where it was a third of the query's time.
-- A column's own grants (GRANT SELECT (col) ...; not its table owner's) come with it, as
-- three arrays (only for the few columns that have any): one pass over pg_attribute
-- instead of a second one for grants.sql.
SELECT a.attrelid, a.attnum, a.attname, ty.format_type, ty.nspname, ty.typname, a.attnotnull,
       a.attidentity::text, a.attgenerated::text, a.atttypid, a.attcollation,
       CASE WHEN a.attacl IS NOT NULL THEN ARRAY(
         SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END
         FROM aclexplode(a.attacl) WITH ORDINALITY x WHERE x.grantee <> c.relowner
         ORDER BY x.ordinality) END,
       CASE WHEN a.attacl IS NOT NULL THEN ARRAY(
         SELECT x.privilege_type
         FROM aclexplode(a.attacl) WITH ORDINALITY x WHERE x.grantee <> c.relowner
         ORDER BY x.ordinality) END,
       CASE WHEN a.attacl IS NOT NULL THEN ARRAY(
         SELECT x.is_grantable
         FROM aclexplode(a.attacl) WITH ORDINALITY x WHERE x.grantee <> c.relowner
         ORDER BY x.ordinality) END
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN LATERAL (
  SELECT format_type(t.oid, a.atttypmod), tn.nspname, t.typname
  FROM pg_type t
  JOIN pg_namespace tn ON tn.oid = t.typnamespace
  WHERE t.oid = a.atttypid
  OFFSET 0
) ty ON true
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
