-- Default operator classes, each with the column types it is the default of: an index column
-- whose operator class is its type's default is printed without one (what pg_get_indexdef
-- leaves unsaid). As GetDefaultOpClass decides: the default class of exactly the type; else,
-- for a base type with none in that access method, the one default class whose input type it
-- is binary-coercible to (an implicit binary cast), the one of its category's preferred type
-- when there are several (varchar: text_ops, not bpchar_ops). The polymorphic classes
-- (anyarray, anyenum, ...) are not followed: such columns get pg_get_indexdef's text.
SELECT oc.oid, oc.opcintype
FROM pg_opclass oc
JOIN pg_type t ON t.oid = oc.opcintype
WHERE oc.opcdefault AND t.typtype <> 'd'
UNION ALL
SELECT k.oid, k.castsource
FROM (
  SELECT oc.oid, c.castsource, it.typispreferred AND it.typcategory = st.typcategory AS preferred,
         count(*) OVER w AS candidates,
         count(*) FILTER (WHERE it.typispreferred AND it.typcategory = st.typcategory) OVER w
           AS preferred_candidates
  FROM pg_cast c
  JOIN pg_type st ON st.oid = c.castsource
  JOIN pg_opclass oc ON oc.opcintype = c.casttarget AND oc.opcdefault
  JOIN pg_type it ON it.oid = oc.opcintype
  WHERE c.castmethod = 'b' AND c.castcontext = 'i'
    AND st.typtype = 'b' AND st.typcategory <> 'A'
    AND NOT EXISTS (
      SELECT 1 FROM pg_opclass x
      WHERE x.opcmethod = oc.opcmethod AND x.opcdefault AND x.opcintype = c.castsource
    )
  WINDOW w AS (PARTITION BY c.castsource, oc.opcmethod)
) k
WHERE CASE WHEN k.preferred_candidates > 0 THEN k.preferred AND k.preferred_candidates = 1
           ELSE k.candidates = 1 END
