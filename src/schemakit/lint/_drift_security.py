"""What drift compares about security (issue 16): owners, grants, and how functions run.

- Owners: ``migrate`` runs a service's migrations as its owner role, so everything in the
  service's schemas is owned by that role; an object owned by anything else was handed over
  or planted by hand. Compared only for services with an owner role (the replay's owner is
  the throwaway server's superuser, which says nothing about production).
- Grants: the privileges the migrations grant on the service's objects, against the live
  ones. Grants to the service's own roles are ``provision``'s business (it grants the login
  role its row privileges), so they are left out on both sides; a grant to anyone else the
  migrations do not make is a difference, PUBLIC included.
- Functions: ``SECURITY DEFINER`` and the ``SET`` settings (a fixed ``search_path``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from schemakit.catalog import Catalog, Grant
from schemakit.config import Service
from schemakit.conventions import quote_ident, quote_qualified
from schemakit.lint._difference import Difference

__all__ = ["security"]

_ALTER = {
    "view": "VIEW",
    "materialized view": "MATERIALIZED VIEW",
    "foreign table": "FOREIGN TABLE",
}


def security(expected: Catalog, actual: Catalog, services: Iterable[Service]) -> list[Difference]:
    """Owner, grant and function-setting differences in ``services``' schemas."""
    out: list[Difference] = []
    for service in services:
        schemas = set(service.schemas)
        out += _functions(expected, actual, schemas)
        if service.owner_role is not None:
            out += _owners(actual, schemas, service.owner_role)
        own = {r for r in (service.role, service.owner_role) if r is not None}
        out += _grants(expected, actual, schemas, own)
    return out


def _functions(expected: Catalog, actual: Catalog, schemas: set[str]) -> Iterator[Difference]:
    for key in sorted(expected.functions.keys() & actual.functions.keys()):
        want, have = expected.functions[key], actual.functions[key]
        if want.schema not in schemas:
            continue
        name = f"{quote_qualified(want.schema, want.name)}({want.arguments})"
        word = "PROCEDURE" if want.kind == "procedure" else "FUNCTION"
        fixes, details = [], []
        if want.security_definer != have.security_definer:
            mode = "DEFINER" if want.security_definer else "INVOKER"
            fixes.append(f"ALTER {word} {name} SECURITY {mode};")
            details.append(
                f"security definer: migrations {want.security_definer}, "
                f"database {have.security_definer}"
            )
        if want.config != have.config:
            fixes.append(f"ALTER {word} {name} RESET ALL;")
            fixes += [f"ALTER {word} {name} SET {_setting(s)};" for s in want.config]
            details.append(
                f"settings: migrations {list(want.config)}, database {list(have.config)}"
            )
        if fixes:
            yield Difference(
                f"function {key} security", "changed", "; ".join(details), "\n".join(fixes)
            )


def _setting(assignment: str) -> str:
    """``search_path=auth, pg_temp`` (pg_proc.proconfig) as ``search_path = auth, pg_temp``."""
    name, _, value = assignment.partition("=")
    return f"{name} = {value}"


def _owners(actual: Catalog, schemas: set[str], owner: str) -> Iterator[Difference]:
    role = quote_ident(owner)
    for name, schema in sorted(actual.schemas.items()):
        if name in schemas and schema.owner not in (None, owner):
            yield _owned(f"schema {name}", schema.owner, owner, f"SCHEMA {quote_ident(name)}", role)
    for path, table in sorted(actual.tables.items()):
        if table.schema in schemas and table.owner not in (None, owner):
            word = _ALTER.get(table.kind, "TABLE")
            what = f"{word} {quote_qualified(table.schema, table.name)}"
            yield _owned(path, table.owner, owner, what, role)
    for path, type_ in sorted(actual.types.items()):
        if type_.schema in schemas and type_.owner not in (None, owner):
            what = f"TYPE {quote_qualified(type_.schema, type_.name)}"
            yield _owned(f"type {path}", type_.owner, owner, what, role)
    for path, sequence in sorted(actual.sequences.items()):
        # a sequence a column owns follows its table's owner
        mine = sequence.schema in schemas and not sequence.owned_by
        if mine and sequence.owner not in (None, owner):
            what = f"SEQUENCE {quote_qualified(sequence.schema, sequence.name)}"
            yield _owned(f"sequence {path}", sequence.owner, owner, what, role)
    for path, function in sorted(actual.functions.items()):
        if function.schema in schemas and function.owner not in (None, owner):
            word = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
            name = quote_qualified(function.schema, function.name)
            what = f"{word} {name}({function.arguments})"
            yield _owned(f"function {path}", function.owner, owner, what, role)


def _owned(label: str, have: str | None, want: str, what: str, role: str) -> Difference:
    return Difference(
        f"{label} owner",
        "changed",
        f"owner: migrations {want} (the service's owner role), database {have}",
        f"ALTER {what} OWNER TO {role};",
    )


def _grants(
    expected: Catalog, actual: Catalog, schemas: set[str], own: set[str]
) -> Iterator[Difference]:
    def relevant(grants: Iterable[Grant]) -> set[Grant]:
        return {g for g in grants if g.schema in schemas and g.grantee not in own}

    want, have = relevant(expected.grants), relevant(actual.grants)
    for grant in sorted(want - have, key=_key):
        yield Difference(_label(grant), "missing", sql=_statement("GRANT", grant))
    for grant in sorted(have - want, key=_key):
        yield Difference(_label(grant), "extra", sql=_statement("REVOKE", grant))


def _key(grant: Grant) -> tuple[str, ...]:
    return (grant.schema, grant.name or "", grant.grantee, grant.privilege)


def _label(grant: Grant) -> str:
    target = grant.schema if grant.name is None else f"{grant.schema}.{grant.name}"
    option = " with grant option" if grant.grantable else ""
    return f"grant {grant.privilege} on {grant.object_kind} {target} to {grant.grantee}{option}"


def _statement(verb: str, grant: Grant) -> str:
    grantee = "PUBLIC" if grant.grantee == "PUBLIC" else quote_ident(grant.grantee)
    privilege = grant.privilege
    if grant.object_kind == "schema":
        target = f"SCHEMA {quote_ident(grant.schema)}"
    elif grant.object_kind == "column":
        table, _, column = (grant.name or "").rpartition(".")
        privilege = f"{privilege} ({quote_ident(column)})"
        target = quote_qualified(grant.schema, table)
    elif grant.object_kind == "sequence":
        target = f"SEQUENCE {quote_qualified(grant.schema, grant.name or '')}"
    else:
        target = f"TABLE {quote_qualified(grant.schema, grant.name or '')}"
    if verb == "GRANT":
        option = " WITH GRANT OPTION" if grant.grantable else ""
        return f"GRANT {privilege} ON {target} TO {grantee}{option};"
    return f"REVOKE {privilege} ON {target} FROM {grantee};"
