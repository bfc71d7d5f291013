"""Row-level security for the tables a service names (``[services.x] row-security``):
ENABLE, FORCE and the ``user_rows`` policy on ``user_id``, each only where it is missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from schemakit.config import Config, Service
from schemakit.errors import ConfigError

__all__ = ["RowSecurityTable", "row_security_pending", "row_security_steps", "row_security_tables"]

# One row per named table that exists: what it has already. Names go in as parameters.
_STATE = """
SELECT n.nspname, c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attname = %(column)s AND a.attnum > 0
           AND NOT a.attisdropped),
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %(policy)s)
FROM unnest(%(schemas)s::text[], %(names)s::text[]) AS wanted(schema, name)
JOIN pg_namespace n ON n.nspname = wanted.schema
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = wanted.name
"""

# relkind: ordinary and partitioned tables take row-level security; views and the rest do not.
_TABLE_KINDS = frozenset({"r", "p"})


@dataclass(frozen=True)
class RowSecurityTable:
    """A table a service names for row-level security, as the database has it (None: absent)."""

    service: str
    schema: str
    name: str
    kind: str | None = None
    enabled: bool = False
    forced: bool = False
    column_type: str | None = None
    """``user_id``'s type (``format_type``), None without that column."""
    has_policy: bool = False

    @property
    def path(self) -> str:
        return f"{self.schema}.{self.name}"


def _named(config: Config, service: Service) -> list[tuple[str, str]]:
    """(schema, table) of each table ``service`` names: in its first schema unless qualified,
    and never in a schema of another service."""
    named = []
    for i, (entry, (schema, name)) in enumerate(
        zip(service.row_security, service.row_security_paths, strict=True)
    ):
        if schema not in service.schemas:
            raise ConfigError(
                f"row-security names {entry}, in schema {schema}, which is not one of service "
                f"{service.name}'s schemas ({', '.join(service.schemas)}); nothing was changed",
                path=config.path,
                key=f"services.{service.name}.row-security[{i}]",
                hint="name the service's own tables only",
            )
        named.append((schema, name))
    return named


def row_security_tables(
    conn: psycopg.Connection[Any], config: Config, database: str
) -> list[RowSecurityTable]:
    """Each table the services of ``database`` name for row-level security, with what it has
    (one query, whatever the number of tables)."""
    wanted = [
        (service.name, schema, name)
        for service in config.services_in(database)
        for schema, name in _named(config, service)
    ]
    if not wanted:
        return []
    # here, not at the top: only a config that asks for row-level security loads the models
    from schemakit.models._rls import ROW_POLICY, USER_ID_COLUMN

    rows = conn.execute(
        _STATE,
        {
            "column": USER_ID_COLUMN,
            "policy": ROW_POLICY,
            "schemas": [schema for _, schema, _ in wanted],
            "names": [name for _, _, name in wanted],
        },
    ).fetchall()
    found = {(row[0], row[1]): row[2:] for row in rows}
    tables = []
    for service, schema, name in wanted:
        state = found.get((schema, name))
        if state is None:
            tables.append(RowSecurityTable(service, schema, name))
            continue
        kind, enabled, forced, column_type, has_policy = state
        tables.append(
            RowSecurityTable(service, schema, name, kind, enabled, forced, column_type, has_policy)
        )
    return tables


def row_security_steps(
    conn: psycopg.Connection[Any], config: Config, database: str
) -> list[tuple[str, str]]:
    """(statement, why) for what the named tables that exist still lack: ENABLE, FORCE, the
    ``user_rows`` policy. A named relation that is not a table or has no ``user_id`` column is
    a :class:`ConfigError` before anything runs; one that does not exist yet (provision before
    the migrations) is left for the next run (:func:`row_security_pending`)."""
    present = [t for t in row_security_tables(conn, config, database) if t.kind is not None]
    if not present:
        return []
    from schemakit.models._rls import USER_ID_COLUMN, row_security_sql

    steps: list[tuple[str, str]] = []
    for table in present:
        key = f"services.{table.service}.row-security"
        if table.kind not in _TABLE_KINDS:
            raise ConfigError(
                f"{table.path} is not a table (relkind {table.kind}): row-level security "
                "applies to tables only; nothing was changed",
                path=config.path,
                key=key,
                hint=f"remove {table.path} from row-security",
            )
        if table.column_type is None:
            raise ConfigError(
                f"table {table.path} has no {USER_ID_COLUMN} column, so a policy on it cannot "
                "tell one user's rows from another's; nothing was changed",
                path=config.path,
                key=key,
                hint=f"add a {USER_ID_COLUMN} column (UserOwned) or remove {table.path} from "
                "row-security",
            )
        enable, force, policy = row_security_sql(table.path, table.column_type)
        why = f"row-security of service {table.service}"
        if not table.enabled:
            steps.append((enable, why))
        if not table.forced:
            steps.append((force, f"{why}: binds the table's owner too"))
        if not table.has_policy:
            steps.append((policy, f"{why}: each user's rows only"))
    return steps


def row_security_pending(conn: psycopg.Connection[Any], config: Config, database: str) -> list[str]:
    """``schema.table`` of each named table that does not exist (yet): provision again after
    the migrations that create it, or enable it in the migration itself."""
    return [t.path for t in row_security_tables(conn, config, database) if t.kind is None]
