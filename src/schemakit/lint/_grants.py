"""Where each GRANT of the SQL migrations is, so a finding about a privilege points at the
statement that gave it, not at the CREATE of the object it is on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from schemakit.migrate import MigrationSet
from schemakit.rules import Finding, Location
from schemakit.sql import Statement

__all__ = ["GrantSites"]

_KINDS = {"OBJECT_SCHEMA": "schema", "OBJECT_TABLE": "table", "OBJECT_SEQUENCE": "sequence"}
_AT_THE_GRANT = frozenset({"SEC001"})
"""Rules whose findings are a privilege someone holds (its grantee first in the message)."""


class GrantSites:
    """(kind, object path) -> each (grantee, GRANT statement's location), in order."""

    def __init__(self, sets: Iterable[MigrationSet | None]) -> None:
        self.sites: dict[tuple[str, str], list[tuple[str, Location]]] = {}
        for migrations in sets:
            if migrations is None or not migrations.is_sql:
                continue
            for file in migrations.files:
                for statement in file.scanned[0]:
                    if statement.kind == "GrantStmt" and statement.node.get("is_grant"):
                        where = Location(file.path, statement.line, statement.column)
                        for key, grantee in _granted(statement):
                            self.sites.setdefault(key, []).append((grantee, where))

    def relocate(self, finding: Finding) -> Finding:
        """A privilege finding at the GRANT that gave it (the grantee's, else the first)."""
        if finding.code not in _AT_THE_GRANT or finding.object is None:
            return finding
        kind = finding.kind
        path = finding.object
        sites = self.sites.get((kind, path)) or self.sites.get(
            ("table" if kind in ("table", "column") else kind, path.split(".", 1)[0] + ".*"), []
        )
        if not sites:
            return finding
        chosen = next(
            (where for grantee, where in sites if finding.message.startswith(grantee)), None
        )
        return replace(finding, location=chosen or sites[0][1])


def _granted(statement: Statement) -> Iterator[tuple[tuple[str, str], str]]:
    node = statement.node
    kind = _KINDS.get(str(node.get("objtype")))
    if kind is None:
        return
    grantees = [_grantee(g.get("RoleSpec", {})) for g in node.get("grantees") or ()]
    columns = [
        c.get("String", {}).get("sval", "")
        for p in node.get("privileges") or ()
        for c in p.get("AccessPriv", {}).get("cols") or ()
    ]
    all_in_schema = node.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA"
    for item in node.get("objects") or ():
        if "String" in item:
            name = str(item["String"].get("sval", ""))
            path = f"{name}.*" if all_in_schema else name
        else:
            relation: dict[str, Any] = item.get("RangeVar", {})
            if not relation.get("schemaname"):
                continue  # unqualified: which schema depends on the search_path
            path = f"{relation['schemaname']}.{relation.get('relname')}"
        for grantee in grantees:
            if columns and kind == "table":
                for column in columns:
                    yield ("column", f"{path}.{column}"), grantee
            else:
                yield (kind, path), grantee


def _grantee(role: dict[str, Any]) -> str:
    return "PUBLIC" if role.get("roletype") == "ROLESPEC_PUBLIC" else str(role.get("rolename"))
