-- Every column default and generated column's expression, by (relation, column number): the
-- loader keeps those of the columns it read. A query of its own, not a join in columns.sql:
-- the other connection deparses them meanwhile (see _live._SIBLING_STEPS).
-- A default cannot refer to a column, so it is deparsed without its table (relid 0): with
-- one, pg_get_expr opens every table to name its columns. A generated column's expression
-- does refer to columns (it holds a Var node, '{VAR ' in the node tree's text; a constant's
-- text is in it as byte values, never as letters) and gets its table.
SELECT ad.adrelid, ad.adnum,
       pg_get_expr(ad.adbin, CASE WHEN strpos(ad.adbin::text, '{VAR ') > 0 THEN ad.adrelid
                                  ELSE 0 END)
FROM pg_attrdef ad
