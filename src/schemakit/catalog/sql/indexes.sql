-- Indexes with their key columns (expressions rendered as SQL), predicate and validity.
--
-- The definition is pg_get_indexdef()'s text. That function looks up each column's default
-- operator class with a catalog scan, which made it the slowest part of reading a big catalog.
-- So for a plain index (not partitioned, no storage parameters, no INCLUDE, no NULLS NOT
-- DISTINCT, and only bare columns, each with the default operator class of its own type, its
-- own collation, the default ordering and no operator class options) the same text is put
-- together here from the same parts; every other index still goes through pg_get_indexdef().
-- The loader swaps i.indnullsnotdistinct for false on servers older than PostgreSQL 15.
SELECT x.indrelid, x.relname, x.indisunique, x.indisprimary, x.indisvalid,
       CASE WHEN x.plain THEN x.names ELSE ARRAY(
         -- as pg_get_indexdef(index, n, true) prints key column n
         SELECT CASE WHEN u.attnum <> 0
                     THEN (SELECT quote_ident(a.attname) FROM pg_attribute a
                           WHERE a.attrelid = x.indrelid AND a.attnum = u.attnum)
                     ELSE pg_get_indexdef(x.indexrelid, u.ord::int, true) END
         FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS u(attnum, ord)
         WHERE u.ord <= x.indnkeyatts
         ORDER BY u.ord
       ) END,
       x.predicate, x.amname,
       CASE WHEN x.plain
         THEN 'CREATE ' || CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
              || quote_ident(x.relname) || ' ON ' || quote_ident(x.nspname) || '.'
              || quote_ident(x.table_name) || ' USING ' || quote_ident(x.amname)
              || ' (' || array_to_string(x.names, ', ') || ')'
              || coalesce(' WHERE ' || x.predicate, '')
         ELSE pg_get_indexdef(x.indexrelid)
       END,
       x.conname
FROM (
  SELECT y.*, y.plain_index AND array_position(y.names, NULL) IS NULL AS plain
  FROM (
    SELECT i.indexrelid, i.indrelid, i.indisunique, i.indisprimary, i.indisvalid, i.indkey,
           i.indnkeyatts, pg_get_expr(i.indpred, i.indrelid) AS predicate, ic.relname,
           n.nspname, c.relname AS table_name, am.amname, con.conname,
           i.indexprs IS NULL AND i.indnatts = i.indnkeyatts AND NOT i.indnullsnotdistinct
             AND ic.relkind = 'i' AND ic.reloptions IS NULL AND 0 = ALL (i.indoption)
             AND i.indexrelid NOT IN (
               SELECT o.attrelid FROM pg_attribute o WHERE o.attoptions IS NOT NULL
             ) AS plain_index,
           -- Each column's quoted name if it has its own collation and the default operator
           -- class of exactly its type (what pg_get_indexdef leaves unsaid), else NULL. One
           -- index probe per column, in a scalar subquery: cheaper than a join here.
           ARRAY(
             SELECT (
               SELECT CASE WHEN u.coll IN (0, a.attcollation)
                                AND (u.opclass, a.atttypid) IN (
                                  SELECT oc.oid, oc.opcintype
                                  FROM pg_opclass oc
                                  JOIN pg_type t ON t.oid = oc.opcintype
                                  WHERE oc.opcdefault AND t.typtype <> 'd'
                                )
                           THEN quote_ident(a.attname) END
               FROM pg_attribute a
               WHERE a.attrelid = i.indrelid AND a.attnum = u.attnum
             )
             FROM unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[])
                    WITH ORDINALITY AS u(attnum, opclass, coll, ord)
             ORDER BY u.ord
           ) AS names
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_am am ON am.oid = ic.relam
    LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%'
      AND n.nspname NOT LIKE 'pg\_temp\_%'
    OFFSET 0  -- evaluate names once per index, not once per use above
  ) y
) x
