"""The roles a replay needs: the services' configured roles, and those the SQL migrations
name (grant to, hand objects to, name in policies) but none of them creates."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from schemakit.config import Config
from schemakit.migrate import MigrationSet
from schemakit.server import Cluster

Progress = Callable[[str], None]


def roles_named(sets: Iterable[MigrationSet]) -> set[str]:
    """Roles the SQL migrations grant to, hand objects to or name in policies, that none of
    them creates: made outside the migrations (a pg_dump baseline's GRANT ... TO reporting)."""
    named: set[str] = set()
    created: set[str] = set()
    for migration_set in sets:
        if not migration_set.is_sql:
            continue
        for file in migration_set.files:
            if not _NAMES_ROLES.search(file.text):
                continue  # no statement of it can name a role: its trees are not walked
            for statement in file.statements:
                if statement.kind == "CreateRoleStmt":
                    created.add(str(statement.node.get("role", "")))
                if _NAMES_ROLES.search(statement.text):
                    named.update(_role_names(statement.node))
    return named - created - {"public"}


_NAMES_ROLES = re.compile(
    r"\b(?:grant|revoke|owner|owned|authorization|policy|role|user|group|admin|mapping)\b",
    re.IGNORECASE,
)
"""A word every statement that names a role has: PostgreSQL's grammar reaches a role name
(RoleSpec) only through GRANT/REVOKE, OWNER TO, OWNED BY, AUTHORIZATION, a policy's TO, FOR
ROLE/USER, ROLE/USER/GROUP statements, ADMIN lists and USER MAPPING."""


def _role_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        # a RoleSpec, wrapped ({"RoleSpec": {...}}) in lists, bare in typed fields (newowner)
        if node.get("roletype") == "ROLESPEC_CSTRING":
            yield str(node.get("rolename", ""))
        for value in node.values():
            yield from _role_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _role_names(item)


def create_roles(cluster: Cluster, config: Config, named: set[str], say: Progress) -> None:
    """Create the services' configured roles, and the roles the migrations name but do not
    create (listed), so migrations may GRANT to them or be owned by them."""
    from psycopg import sql

    configured = {s.role for s in config.services.values() if s.role}
    made = []
    with cluster.connect() as conn:
        for role in sorted(configured | named):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
                if role not in configured:
                    made.append(role)
    if made:
        say(
            "created for the replay, as the migrations name them and none creates them: "
            + ", ".join(made)
        )
