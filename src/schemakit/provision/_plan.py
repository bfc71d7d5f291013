"""What provisioning a database takes, worked out from what it already has (its Catalog)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

from schemakit.catalog import Catalog, from_database
from schemakit.config import Config
from schemakit.conventions import quote_ident, quote_qualified
from schemakit.errors import DatabaseError, SchemakitError, first_line
from schemakit.provision._boundary import check_boundary, crossings
from schemakit.provision._rls import row_security_steps

__all__ = ["Step", "apply", "foreign_owned", "foreign_owned_in", "plan", "plan_catalog"]


@dataclass(frozen=True)
class Step:
    """One statement of the plan, and why it is needed."""

    sql: str
    why: str


def plan(conn: psycopg.Connection[Any], config: Config, database: str) -> list[Step]:
    """:func:`plan_catalog` of the catalog of the database ``conn`` is on, then row-level
    security for the tables the services name (:mod:`schemakit.provision._rls`)."""
    steps = plan_catalog(from_database(conn), config, database)
    return steps + [Step(sql, why) for sql, why in row_security_steps(conn, config, database)]


def plan_catalog(catalog: Catalog, config: Config, database: str) -> list[Step]:
    """The statements that make ``database`` (the one ``catalog`` was read from) match the
    config:

    - no ``CREATE`` on schema ``public`` for ``PUBLIC`` (unless the database is exempt);
    - for each service with a ``role``: the role (``NOLOGIN``: its services log in as
      members of it), owning each of the service's schemas, which grant ``PUBLIC`` nothing;
    - and the right to read and write the rows of the tables and sequences the connecting
      user, who runs the migrations, makes there: granted on what exists, and by default
      on the rest. (The role owns the schema, so it may also create and drop there.)

    - nothing that crosses the boundary: grants on a service's objects to another
      service's role or ``PUBLIC``, memberships between service roles, default privileges
      for another service's role are revoked.

    Services without a ``role`` get their schemas created, owned by the connecting user.
    Objects already inside a schema keep their owners (see :func:`foreign_owned`). Two
    services claiming one schema, or a service role with SUPERUSER, CREATEROLE or
    BYPASSRLS, are refused before any step is planned.
    """
    check_boundary(catalog, config, database)
    steps: list[Step] = []
    access = _Access(catalog)
    if not config.is_exempt(database) and access.public_may_create():
        steps.append(
            Step(
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                "every role may create objects in public (PostgreSQL 14's default)",
            )
        )
    roles = set(catalog.roles)
    existing_roles = set(roles)
    for service in config.services_in(database):
        role = service.role
        if role is not None and role not in roles:
            steps.append(
                Step(f"CREATE ROLE {quote_ident(role)} NOLOGIN", f"service {service.name}")
            )
            roles.add(role)
        for schema in service.schemas:
            name = quote_ident(schema)
            found = catalog.schemas.get(schema)
            owner = found.owner if found is not None else None
            if found is None:
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
            if access.public_holds_any(schema):
                steps.append(
                    Step(
                        f"REVOKE ALL ON SCHEMA {name} FROM PUBLIC",
                        f"every role may use schema {schema} of service {service.name}",
                    )
                )
            if role is not None:
                role_exists = role in existing_roles
                steps += _access(access, schema, role, service.name, role_exists=role_exists)
    steps += [Step(sql, why) for sql, why in crossings(catalog, config, database)]
    return steps


# What a service's role may do with the tables and sequences the migrating user makes in its
# schema: read and write their rows (their shape is the migrations' business).
_TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
_SEQUENCE_RIGHTS = "USAGE, SELECT"


def _access(
    access: _Access, schema: str, role: str, service: str, *, role_exists: bool
) -> list[Step]:
    """Grants so that ``role`` can use what the connecting user (who runs the migrations)
    creates in ``schema``: on each such table and sequence there now that ``role`` cannot
    use yet, and by default on what comes later. Objects of other owners are not this
    user's to grant (:func:`foreign_owned` lists them)."""
    steps = []
    name, grantee = quote_ident(schema), quote_ident(role)
    for kind, rights in (("TABLE", _TABLE_RIGHTS), ("SEQUENCE", _SEQUENCE_RIGHTS)):
        missing = access.ungranted(schema, role, kind.lower(), rights.split(", "), role_exists)
        if missing:
            steps.append(
                Step(
                    f"GRANT {rights} ON {kind} {', '.join(missing)} TO {grantee}",
                    f"service {service}'s role cannot use these yet",
                )
            )
    for kind, rights in (("TABLES", _TABLE_RIGHTS), ("SEQUENCES", _SEQUENCE_RIGHTS)):
        wanted = set(rights.split(", "))
        if not (role_exists and wanted <= access.defaults(schema, role, kind[:-1].lower())):
            steps.append(
                Step(
                    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {name} GRANT {rights} ON {kind} "
                    f"TO {grantee}",
                    f"{kind.lower()} the migrations create in {schema} are usable by "
                    f"service {service}'s role",
                )
            )
    return steps


class _Access:
    """Who may do what in a catalog, as ``has_table_privilege`` and ``pg_has_role`` answer
    it: a superuser may do all; a role has its own privileges, those of the roles it
    inherits, PUBLIC's, and all of them on what one of those owns."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.granted: dict[tuple[str, str, str | None], set[tuple[str, str]]] = {}
        for grant in catalog.grants:
            key = (grant.object_kind, grant.schema, grant.name)
            self.granted.setdefault(key, set()).add((grant.grantee, grant.privilege))

    def _privileges_of(self, role: str) -> frozenset[str] | None:
        """The roles whose privileges ``role`` has; None for a superuser (all of them)."""
        found = self.catalog.roles.get(role)
        if found is None:
            return frozenset()
        return None if found.superuser else found.privileges_of

    def public_may_create(self) -> bool:
        return ("PUBLIC", "CREATE") in self.granted.get(("schema", "public", None), set())

    def public_holds_any(self, schema: str) -> bool:
        granted = self.granted.get(("schema", schema, None), set())
        return any(grantee == "PUBLIC" for grantee, _ in granted)

    def relations(self, schema: str, kind: str) -> Iterable[tuple[str, str | None]]:
        """(name, owner) of the tables (views, foreign tables...) or sequences of ``schema``."""
        if kind == "table":
            return ((t.name, t.owner) for t in self.catalog.tables_in(schema))
        return ((s.name, s.owner) for s in self.catalog.sequences.values() if s.schema == schema)

    def holds(
        self, role: str, kind: str, schema: str, name: str, owner: str | None, right: str
    ) -> bool:
        privileges_of = self._privileges_of(role)
        if privileges_of is None or owner in privileges_of:
            return True
        granted = self.granted.get((kind, schema, name), set())
        return any((g, right) in granted for g in (*privileges_of, "PUBLIC"))

    def ungranted(
        self, schema: str, role: str, kind: str, rights: list[str], role_exists: bool
    ) -> list[str]:
        """The relations of ``schema`` the connecting user owns (or, as a superuser, any)
        that ``role`` lacks one of ``rights`` on: every one of them when the role is about
        to be created. Quoted ``schema.name``, in order."""
        user = self._privileges_of(self.catalog.user)
        missing = []
        for name, owner in self.relations(schema, kind):
            if user is not None and owner not in user:
                continue  # not this user's to grant
            if role_exists and all(
                self.holds(role, kind, schema, name, owner, right) for right in rights
            ):
                continue
            missing.append(quote_qualified(schema, name))
        return sorted(missing)

    def defaults(self, schema: str, role: str, kind: str) -> set[str]:
        """What the connecting user's default privileges in ``schema`` give ``role`` on the
        ``kind`` (``table`` or ``sequence``) objects it creates later."""
        return {
            d.privilege
            for d in self.catalog.default_grants
            if d.owner == self.catalog.user
            and d.schema == schema
            and d.object_kind == kind
            and d.grantee == role
        }


def foreign_owned(conn: psycopg.Connection[Any], config: Config, database: str) -> list[str]:
    """:func:`foreign_owned_in` the catalog of the database ``conn`` is on."""
    return foreign_owned_in(from_database(conn), config, database)


def foreign_owned_in(catalog: Catalog, config: Config, database: str) -> list[str]:
    """Objects in a service's schemas owned by neither the service's role nor the connecting
    user (who runs the migrations): ``schema.name (owner)``. Provisioning cannot grant on
    them; their owner can, or they can be reassigned."""
    access = _Access(catalog)
    found = []
    for service in config.services_in(database):
        if service.role is None:
            continue
        owned = sorted(
            (f"{schema}.{name}", owner)
            for schema in service.schemas
            for kind in ("table", "sequence")
            for name, owner in access.relations(schema, kind)
            if owner not in (service.role, catalog.user)
        )
        found += [f"{path} ({owner})" for path, owner in owned]
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
