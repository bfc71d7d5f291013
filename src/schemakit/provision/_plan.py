"""What provisioning a database takes, worked out from what it already has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from schemakit.config import Config
from schemakit.conventions import quote_ident
from schemakit.errors import DatabaseError, SchemakitError, first_line

__all__ = ["Step", "apply", "foreign_owned", "plan"]


@dataclass(frozen=True)
class Step:
    """One statement of the plan, and why it is needed."""

    sql: str
    why: str


def plan(conn: psycopg.Connection[Any], config: Config, database: str) -> list[Step]:
    """The statements that make ``database`` (the one ``conn`` is on) match the config:

    - no ``CREATE`` on schema ``public`` for ``PUBLIC`` (unless the database is exempt);
    - for each service with a ``role``: the role (``NOLOGIN``: its services log in as
      members of it), owning each of the service's schemas, which grant ``PUBLIC`` nothing;
    - and the right to read and write the rows of the tables and sequences the connecting
      user, who runs the migrations, makes there: granted on what exists, and by default
      on the rest. (The role owns the schema, so it may also create and drop there.)

    Services without a ``role`` get their schemas created, owned by the connecting user.
    Objects already inside a schema keep their owners (see :func:`foreign_owned`).
    """
    steps: list[Step] = []
    if not config.is_exempt(database) and _public_may_create(conn):
        steps.append(
            Step(
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                "every role may create objects in public (PostgreSQL 14's default)",
            )
        )
    roles = _roles(conn)
    existing_roles = set(roles)
    schemas = _schemas(conn)
    for service in config.services_in(database):
        role = service.role
        if role is not None and role not in roles:
            steps.append(
                Step(f"CREATE ROLE {quote_ident(role)} NOLOGIN", f"service {service.name}")
            )
            roles.add(role)
        for schema in service.schemas:
            name = quote_ident(schema)
            owner, public_acl = schemas.get(schema, (None, False))
            if owner is None:
                authorization = f" AUTHORIZATION {quote_ident(role)}" if role else ""
                steps.append(
                    Step(f"CREATE SCHEMA {name}{authorization}", f"service {service.name}")
                )
            elif role is not None and owner != role:
                steps.append(
                    Step(
                        f"ALTER SCHEMA {name} OWNER TO {quote_ident(role)}",
                        f"owned by {owner}, not by service {service.name}'s role",
                    )
                )
            if public_acl:
                steps.append(
                    Step(
                        f"REVOKE ALL ON SCHEMA {name} FROM PUBLIC",
                        f"every role may use schema {schema} of service {service.name}",
                    )
                )
            if role is not None:
                role_exists = role in existing_roles
                steps += _access(conn, schema, role, service.name, role_exists=role_exists)
    return steps


# What a service's role may do with the tables and sequences the migrating user makes in its
# schema: read and write their rows (their shape is the migrations' business).
_TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
_SEQUENCE_RIGHTS = "USAGE, SELECT"


def _access(
    conn: psycopg.Connection[Any], schema: str, role: str, service: str, *, role_exists: bool
) -> list[Step]:
    """Grants so that ``role`` can use what the connecting user (who runs the migrations)
    creates in ``schema``: on each such table and sequence there now that ``role`` cannot
    use yet, and by default on what comes later. Objects of other owners are not this
    user's to grant (:func:`foreign_owned` lists them)."""
    steps = []
    name, grantee = quote_ident(schema), quote_ident(role)
    for kind, relkinds, rights, check in (
        ("TABLE", ("r", "p", "v", "m", "f"), _TABLE_RIGHTS, "has_table_privilege"),
        ("SEQUENCE", ("S",), _SEQUENCE_RIGHTS, "has_sequence_privilege"),
    ):
        missing = _ungranted(conn, schema, role, relkinds, rights, check, role_exists)
        if missing:
            steps.append(
                Step(
                    f"GRANT {rights} ON {kind} {', '.join(missing)} TO {grantee}",
                    f"service {service}'s role cannot use these yet",
                )
            )
    for kind, objtype, rights, letters in (
        ("TABLES", "r", _TABLE_RIGHTS, "arwd"),  # pg_default_acl.defaclobjtype codes
        ("SEQUENCES", "S", _SEQUENCE_RIGHTS, "rU"),
    ):
        if not (role_exists and _default_granted(conn, schema, role, objtype, letters)):
            steps.append(
                Step(
                    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {name} GRANT {rights} ON {kind} "
                    f"TO {grantee}",
                    f"{kind.lower()} the migrations create in {schema} are usable by "
                    f"service {service}'s role",
                )
            )
    return steps


def _ungranted(
    conn: psycopg.Connection[Any],
    schema: str,
    role: str,
    relkinds: tuple[str, ...],
    rights: str,
    check: str,
    role_exists: bool,
) -> list[str]:
    """The relations of ``schema`` the connecting user owns (or, as a superuser, any) that
    ``role`` lacks ``rights`` on: every one of them when the role is about to be created."""
    # has_*_privilege with a list is true when ANY is held: ask for each one
    each = " AND ".join(f"{check}(%(role)s, c.oid, '{right}')" for right in rights.split(", "))
    lacks = "true" if not role_exists else f"NOT ({each})"
    rows = conn.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s "
        "AND c.relkind = ANY(%(kinds)s) AND (pg_has_role(current_user, c.relowner, 'USAGE') "
        "OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) "
        f"AND {lacks} ORDER BY 1".encode(),
        {"schema": schema, "kinds": list(relkinds), "role": role},
    ).fetchall()
    return [row[0] for row in rows]


def _default_granted(
    conn: psycopg.Connection[Any], schema: str, role: str, kind: str, letters: str
) -> bool:
    """The connecting user's default privileges in ``schema`` give ``role`` ``letters``."""
    rows = conn.execute(
        "SELECT a.privilege_type FROM pg_default_acl d "
        "JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a "
        "WHERE n.nspname = %s AND d.defaclrole = current_user::regrole AND d.defaclobjtype = %s "
        "AND a.grantee = %s::regrole",
        (schema, kind, role),
    ).fetchall()
    have = {row[0] for row in rows}
    wanted = {"a": "INSERT", "r": "SELECT", "w": "UPDATE", "d": "DELETE", "U": "USAGE"}
    return {wanted[letter] for letter in letters} <= have


def foreign_owned(conn: psycopg.Connection[Any], config: Config, database: str) -> list[str]:
    """Objects in a service's schemas owned by neither the service's role nor the connecting
    user (who runs the migrations): ``schema.name (owner)``. Provisioning cannot grant on
    them; their owner can, or they can be reassigned."""
    found = []
    for service in config.services_in(database):
        if service.role is None:
            continue
        rows = conn.execute(
            "SELECT n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%s) "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
            "AND pg_get_userbyid(c.relowner) NOT IN (%s, current_user) ORDER BY 1",
            (list(service.schemas), service.role),
        ).fetchall()
        found += [f"{path} ({owner})" for path, owner in rows]
    return found


def apply(conn: psycopg.Connection[Any], steps: list[Step]) -> None:
    """Run ``steps`` in one transaction: all of them, or (on an error) none."""
    try:
        with conn.transaction():
            for step in steps:
                conn.execute(step.sql.encode())  # built from quoted names only
    except psycopg.errors.InsufficientPrivilege as exc:
        raise SchemakitError(
            f"provisioning needs more rights than this user has: {first_line(exc)}; "
            "nothing was changed",
            hint="run it as a superuser, or as a role with CREATEROLE that is a member of "
            "each service's role (GRANT <role> TO <you>) and owns the objects to grant on",
        ) from exc
    except psycopg.Error as exc:
        raise DatabaseError(f"provisioning failed, nothing was changed: {first_line(exc)}") from exc


def _public_may_create(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_namespace n, aclexplode(n.nspacl) a "
        "WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE')"
    ).fetchone()
    return bool(row and row[0])


def _roles(conn: psycopg.Connection[Any]) -> set[str]:
    return {row[0] for row in conn.execute("SELECT rolname FROM pg_roles").fetchall()}


def _schemas(conn: psycopg.Connection[Any]) -> dict[str, tuple[str, bool]]:
    """schema -> (owner, whether PUBLIC holds any privilege on it)."""
    rows = conn.execute(
        "SELECT n.nspname, pg_get_userbyid(n.nspowner), EXISTS (SELECT FROM "
        "aclexplode(n.nspacl) a WHERE a.grantee = 0) FROM pg_namespace n"
    ).fetchall()
    return {name: (owner, public) for name, owner, public in rows}
