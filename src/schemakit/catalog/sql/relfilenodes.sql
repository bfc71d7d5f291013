-- The storage file of each given relation oid now (a new one means the relation was rewritten).
SELECT oid::bigint, relfilenode::bigint FROM pg_class WHERE oid = ANY(%s::oid[])
