-- Default operator classes and the type each is for: an index column with the default class
-- of exactly its type is printed without one (what pg_get_indexdef leaves unsaid).
SELECT oc.oid, oc.opcintype
FROM pg_opclass oc
JOIN pg_type t ON t.oid = oc.opcintype
WHERE oc.opcdefault AND t.typtype <> 'd'
