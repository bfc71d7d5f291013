"""Handing a service's objects to its owner role: each schema, table, view, sequence, type
and function in the service's schemas that another role owns (the connecting user who ran
the migrations before, the service's login-through role, a login that recreated a table)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg

from schemakit.catalog import Catalog
from schemakit.conventions import quote_ident, quote_qualified

__all__ = ["executors", "handover", "routine"]

# Table.kind -> what ALTER ... OWNER TO takes (ALTER TABLE for the kinds not listed)
_ALTER = {
    "view": "VIEW",
    "materialized view": "MATERIALIZED VIEW",
    "foreign table": "FOREIGN TABLE",
}

# The roles that may EXECUTE each function of the given schemas (the catalog does not read
# function privileges): a NULL proacl is the default, EXECUTE for PUBLIC. The owner's own
# entry is left out: it goes to the new owner when the function is handed over.
_EXECUTORS = """
SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
       CASE WHEN p.proacl IS NULL THEN ARRAY['PUBLIC']::text[] ELSE ARRAY(
         SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
         FROM aclexplode(p.proacl) a
         WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
       ) END
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(%s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  )
"""


def executors(conn: psycopg.Connection[Any], schemas: list[str]) -> dict[str, frozenset[str]]:
    """Function path (``schema.name(args)``, as the Catalog keys them) -> who may EXECUTE it."""
    rows = conn.execute(_EXECUTORS, (schemas,)).fetchall()
    return {f"{schema}.{name}({args})": frozenset(who) for schema, name, args, who in rows}


def routine(schema: str, name: str, arguments: str) -> str:
    """``schema.name(args)`` as ALTER ROUTINE and GRANT ... ON ROUTINE take it (a function,
    procedure or aggregate alike)."""
    return f"{quote_qualified(schema, name)}({arguments})"


def handover(
    catalog: Catalog, schemas: tuple[str, ...], owner: str, service: str
) -> Iterator[tuple[str, str]]:
    """(ALTER ... OWNER TO owner, why) for each object in ``schemas`` another role owns.

    Indexes, triggers, policies and the sequences of serial and identity columns follow
    their table (ALTER TABLE hands them over with it: PostgreSQL refuses ALTER SEQUENCE
    on a sequence linked to a table); a multirange type follows its range type."""
    to = quote_ident(owner)

    def why(kind: str, path: str, was: str | None) -> str:
        return f"{kind} {path} is owned by {was}, not by service {service}'s owner role"

    for schema in schemas:
        objects: list[tuple[str, str, str, str | None]] = [
            (
                t.kind,
                t.path,
                f"{_ALTER.get(t.kind, 'TABLE')} {quote_qualified(t.schema, t.name)}",
                t.owner,
            )
            for t in catalog.tables_in(schema)
        ]
        objects += [
            ("sequence", s.path, f"SEQUENCE {quote_qualified(s.schema, s.name)}", s.owner)
            for s in catalog.sequences.values()
            if s.schema == schema and s.owned_by is None
        ]
        objects += [
            (
                t.kind,
                t.path,
                f"{'DOMAIN' if t.kind == 'domain' else 'TYPE'} {quote_qualified(t.schema, t.name)}",
                t.owner,
            )
            for t in catalog.types.values()
            if t.schema == schema and t.kind != "multirange"
        ]
        objects += [
            (f.kind, f.path, f"ROUTINE {routine(f.schema, f.name, f.arguments)}", f.owner)
            for f in catalog.functions.values()
            if f.schema == schema
        ]
        for kind, path, target, was in sorted(objects, key=lambda o: (o[1], o[0])):
            if was is not None and was != owner:
                yield f"ALTER {target} OWNER TO {to}", why(kind, path, was)
