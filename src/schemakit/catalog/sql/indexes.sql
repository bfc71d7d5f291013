-- Indexes with their key columns (expressions rendered as SQL), predicate and validity.
--
-- The definition is pg_get_indexdef()'s text. That function looks up each column's default
-- operator class with a catalog scan, which made it the slowest part of reading a big catalog.
-- So for a plain index (not partitioned, no storage parameters, no NULLS NOT DISTINCT, and only
-- bare columns, each with the default operator class of its own type, its own collation, the
-- default ordering and no operator class options) the same text is put together here from the
-- same parts; every other index still goes through pg_get_indexdef().
-- The loader swaps i.indnullsnotdistinct for false on servers older than PostgreSQL 15.
SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary, i.indisvalid, k.names,
       pg_get_expr(i.indpred, i.indrelid), am.amname,
       CASE
         WHEN k.plain AND i.indexprs IS NULL AND NOT i.indnullsnotdistinct
              AND ic.relkind = 'i' AND ic.reloptions IS NULL
              AND i.indexrelid NOT IN (
                SELECT o.attrelid FROM pg_attribute o WHERE o.attoptions IS NOT NULL
              )
         THEN 'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
              || quote_ident(ic.relname) || ' ON ' || quote_ident(n.nspname) || '.'
              || quote_ident(c.relname) || ' USING ' || quote_ident(am.amname)
              || ' (' || k.columns || ')'
              || coalesce(' WHERE ' || pg_get_expr(i.indpred, i.indrelid), '')
         ELSE pg_get_indexdef(i.indexrelid)
       END,
       con.conname
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL (
  -- One row per index: key column names (as pg_get_indexdef(index, n, true) prints them), the
  -- column list of the definition, and whether every column is plain.
  SELECT array_agg(
           CASE WHEN u.attnum <> 0 THEN quote_ident(a.attname)
                ELSE pg_get_indexdef(i.indexrelid, u.ord::int, true) END
           ORDER BY u.ord
         ) FILTER (WHERE u.ord <= i.indnkeyatts) AS names,
         string_agg(
           CASE WHEN u.ord = i.indnkeyatts + 1 THEN ') INCLUDE ('
                WHEN u.ord > 1 THEN ', ' ELSE '' END || quote_ident(a.attname),
           '' ORDER BY u.ord
         ) AS columns,
         bool_and(
           u.attnum <> 0 AND (
             u.ord > i.indnkeyatts
             OR u.option = 0 AND u.coll IN (0, a.attcollation)
                AND (u.opclass, a.atttypid) IN (
                  SELECT oc.oid, oc.opcintype
                  FROM pg_opclass oc
                  JOIN pg_type t ON t.oid = oc.opcintype
                  WHERE oc.opcdefault AND t.typtype <> 'd'
                )
           )
         ) AS plain
  FROM unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[], i.indoption::int2[])
         WITH ORDINALITY AS u(attnum, opclass, coll, option, ord)
  LEFT JOIN LATERAL (
    -- OFFSET 0 keeps this an index lookup per column instead of a join over all of pg_attribute.
    SELECT a.attname, a.atttypid, a.attcollation
    FROM pg_attribute a
    WHERE a.attrelid = i.indrelid AND a.attnum = u.attnum
    OFFSET 0
  ) a ON true
) k
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT c.relispartition
