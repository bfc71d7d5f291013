-- Of the schemas, relations (schema, name) and types (schema, name) given, those the
-- database lacks: baseline checks that what the migrations create is there before it
-- records them as applied.
SELECT
    array(SELECT s FROM unnest(%s::text[]) s
          WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s)),
    array(SELECT r.s || '.' || r.n FROM unnest(%s::text[], %s::text[]) r(s, n)
          WHERE to_regclass(format('%%I.%%I', r.s, r.n)) IS NULL),
    array(SELECT t.s || '.' || t.n FROM unnest(%s::text[], %s::text[]) t(s, n)
          WHERE to_regtype(format('%%I.%%I', t.s, t.n)) IS NULL)
