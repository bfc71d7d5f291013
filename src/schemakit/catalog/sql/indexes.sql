-- Indexes with their key columns (expressions rendered as SQL), predicate and validity.
--
-- The definition is pg_get_indexdef()'s text. That function looks up each column's default
-- operator class with a catalog scan, which made it the slowest part of reading a big catalog,
-- and naming each key column here took one probe per column. So for an index that may be
-- plain (not partitioned, no expressions, no storage parameters, no INCLUDE, no NULLS NOT
-- DISTINCT, default ordering, no operator class options) only the key's column numbers,
-- operator classes and collations are sent (as the vectors' text, numbers between spaces:
-- psycopg decodes an array about twenty times slower than a string, and Python splits the
-- string faster still): the loader names the columns from the ones it
-- read and writes the same text as pg_get_indexdef when every column has the default operator
-- class of its type (opclasses.sql) and its own collation (else it asks for pg_get_indexdef
-- after).
-- Every other index comes with pg_get_indexdef's text and its key as pg_get_indexdef prints
-- each column.
-- The loader swaps i.indnullsnotdistinct for false on servers older than PostgreSQL 15.
SELECT y.indrelid, y.relname, y.indisunique, y.indisprimary, y.indisvalid,
       y.predicate, y.amname, y.conname, y.plain_index, y.indexrelid,
       CASE WHEN y.plain_index THEN y.indkey::text END,
       CASE WHEN y.plain_index THEN y.indclass::text END,
       CASE WHEN y.plain_index THEN y.indcollation::text END,
       CASE WHEN NOT y.plain_index THEN ARRAY(
         -- as pg_get_indexdef(index, n, true) prints key column n
         SELECT CASE WHEN u.attnum <> 0
                     THEN (SELECT quote_ident(a.attname) FROM pg_attribute a
                           WHERE a.attrelid = y.indrelid AND a.attnum = u.attnum)
                     ELSE pg_get_indexdef(y.indexrelid, u.ord::int, true) END
         FROM unnest(y.indkey::int2[]) WITH ORDINALITY AS u(attnum, ord)
         WHERE u.ord <= y.indnkeyatts
         ORDER BY u.ord
       ) END,
       CASE WHEN NOT y.plain_index THEN pg_get_indexdef(y.indexrelid) END
FROM (
  SELECT i.indexrelid, i.indrelid, i.indisunique, i.indisprimary, i.indisvalid,
         i.indkey, i.indclass, i.indcollation, i.indnkeyatts,
         pg_get_expr(i.indpred, i.indrelid) AS predicate, ic.relname, am.amname, con.conname,
         i.indexprs IS NULL AND i.indnatts = i.indnkeyatts AND NOT i.indnullsnotdistinct
           AND ic.relkind = 'i' AND ic.reloptions IS NULL AND 0 = ALL (i.indoption)
           AND i.indexrelid NOT IN (
             SELECT o.attrelid FROM pg_attribute o WHERE o.attoptions IS NOT NULL
           ) AS plain_index
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = ic.relnamespace  -- an index lives in its table's schema
  JOIN pg_am am ON am.oid = ic.relam
  LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%'
    AND n.nspname NOT LIKE 'pg\_temp\_%'
  OFFSET 0  -- plain_index once per index (each use above would scan pg_attribute again)
) y
