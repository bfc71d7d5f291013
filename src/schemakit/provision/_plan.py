"""What provisioning a database takes, worked out from what it already has (its Catalog)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg

from schemakit.catalog import Catalog, from_database
from schemakit.config import Config, Service
from schemakit.conventions import quote_ident, quote_qualified
from schemakit.errors import DatabaseError, SchemakitError, first_line
from schemakit.provision._boundary import (
    check_boundary,
    crossings,
    revoke_statement,
    service_roles,
)
from schemakit.provision._handover import executors, handover, routine
from schemakit.provision._rls import row_security_steps

__all__ = ["Step", "apply", "plan", "plan_catalog"]


@dataclass(frozen=True)
class Step:
    """One statement of the plan, and why it is needed."""

    sql: str
    why: str


def plan(conn: psycopg.Connection[Any], config: Config, database: str) -> list[Step]:
    """:func:`plan_catalog` of the catalog of the database ``conn`` is on, then row-level
    security for the tables the services name (:mod:`schemakit.provision._rls`)."""
    schemas = [schema for s in config.services_in(database) if s.role for schema in s.schemas]
    steps = plan_catalog(from_database(conn), config, database, executors=executors(conn, schemas))
    return steps + [Step(sql, why) for sql, why in row_security_steps(conn, config, database)]


def plan_catalog(
    catalog: Catalog,
    config: Config,
    database: str,
    *,
    executors: Mapping[str, frozenset[str]] | None = None,
) -> list[Step]:
    """The statements that make ``database`` (the one ``catalog`` was read from) match the
    config:

    - no ``CREATE`` on schema ``public`` for ``PUBLIC`` (unless the database is exempt);
    - for each service with a ``role``: its owner role and that role (both ``NOLOGIN``);
      the owner owns each of the service's schemas and everything in them (what another
      role owns is handed over); the schemas grant ``PUBLIC`` nothing;
    - the role (services log in as members of it) may use the schemas and read and write
      rows: USAGE on the schemas, SELECT/INSERT/UPDATE/DELETE on tables, USAGE/SELECT on
      sequences, EXECUTE on functions; on what exists, and by default privileges on what
      the owner (``migrate`` runs the migrations as it) creates later. Anything more it
      holds there (CREATE, TRIGGER, TRUNCATE, REFERENCES, its owner's membership) is revoked;
    - nothing that crosses the boundary: grants on a service's objects to another
      service's roles or ``PUBLIC``, memberships between service roles, default privileges
      for another service's role are revoked.

    Services without a ``role`` get their schemas created, owned by the connecting user.
    Two services claiming one schema, or a service role or owner role with SUPERUSER,
    CREATEROLE or BYPASSRLS, are refused before any step is planned. ``executors``: who may
    EXECUTE each function (:func:`plan` reads it); None takes PostgreSQL's default (PUBLIC).
    """
    check_boundary(catalog, config, database)
    steps: list[Step] = []
    if not config.is_exempt(database) and _public_may_create(catalog):
        steps.append(
            Step(
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                "every role may create objects in public (PostgreSQL 14's default)",
            )
        )
    others = service_roles(config, database)
    for service in config.services_in(database):
        steps += _service(catalog, service, others, executors)
    steps += [Step(sql, why) for sql, why in crossings(catalog, config, database)]
    return steps


def _public_may_create(catalog: Catalog) -> bool:
    return any(
        g.object_kind == "schema"
        and g.schema == "public"
        and g.grantee == "PUBLIC"
        and g.privilege == "CREATE"
        for g in catalog.grants
    )


def _service(
    catalog: Catalog,
    service: Service,
    service_roles: Mapping[str, str],
    executors: Mapping[str, frozenset[str]] | None,
) -> list[Step]:
    role, owner = service.role, service.owner_role
    steps = [
        Step(f"CREATE ROLE {quote_ident(name)} NOLOGIN", f"service {service.name}'s {what}")
        for what, name in (("owner role", owner), ("role", role))
        if name is not None and name not in catalog.roles
    ]
    for schema in service.schemas:
        name = quote_ident(schema)
        found = catalog.schemas.get(schema)
        if found is None:
            authorization = f" AUTHORIZATION {quote_ident(owner)}" if owner else ""
            steps.append(Step(f"CREATE SCHEMA {name}{authorization}", f"service {service.name}"))
        elif owner is not None and found.owner != owner:
            steps.append(
                Step(
                    f"ALTER SCHEMA {name} OWNER TO {quote_ident(owner)}",
                    f"owned by {found.owner}, not by service {service.name}'s owner role",
                )
            )
        if owner is not None:
            steps += [Step(*s) for s in handover(catalog, (schema,), owner, service.name)]
        if any(
            g.object_kind == "schema" and g.schema == schema and g.grantee == "PUBLIC"
            for g in catalog.grants
        ):
            steps.append(
                Step(
                    f"REVOKE ALL ON SCHEMA {name} FROM PUBLIC",
                    f"every role may use schema {schema} of service {service.name}",
                )
            )
        if role is not None and owner is not None:
            rights = _Rights(catalog, role, owner, service_roles, executors)
            steps += rights.grants(schema, service.name)
            steps += rights.excess(schema, service.name)
            steps += rights.defaults(schema, service.name)
    return steps


# What a service's role may do in its schemas: use them and read and write rows (their
# shape is the migrations' business, which run as the owner).
_ALLOWED = {
    "schema": ("USAGE",),
    "table": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "sequence": ("USAGE", "SELECT"),
    "function": ("EXECUTE",),
    "column": ("SELECT", "INSERT", "UPDATE"),
}
_DEFAULTS_ON = {"table": "TABLES", "sequence": "SEQUENCES", "function": "FUNCTIONS"}


class _Rights:
    """What ``role`` holds in a service's schemas, and the GRANTs and REVOKEs that make it
    exactly :data:`_ALLOWED`, once ``owner`` owns everything there."""

    def __init__(
        self,
        catalog: Catalog,
        role: str,
        owner: str,
        service_roles: Mapping[str, str],
        executors: Mapping[str, frozenset[str]] | None,
    ) -> None:
        self.catalog = catalog
        self.role = role
        self.owner = owner
        self.executors = executors
        found = catalog.roles.get(role)
        inherited = found.privileges_of if found is not None else frozenset()
        # grants to roles it inherits count, but not to the owner or any other service
        # role: those memberships are revoked
        self.grantees = {role} | {r for r in inherited if r not in service_roles}
        self.granted: dict[tuple[str, str, str | None], set[str]] = {}
        for grant in catalog.grants:
            if grant.grantee in self.grantees:
                key = (grant.object_kind, grant.schema, grant.name)
                self.granted.setdefault(key, set()).add(grant.privilege)

    def _lacks(self, kind: str, schema: str, name: str | None) -> bool:
        held = self.granted.get((kind, schema, name), set())
        return not set(_ALLOWED[kind]) <= held

    def grants(self, schema: str, service: str) -> list[Step]:
        to = quote_ident(self.role)
        why = f"service {service}'s role cannot use these yet"
        steps = []
        if self._lacks("schema", schema, None):
            steps.append(Step(f"GRANT USAGE ON SCHEMA {quote_ident(schema)} TO {to}", why))
        tables = sorted(
            quote_qualified(schema, t.name)
            for t in self.catalog.tables_in(schema)
            if self._lacks("table", schema, t.name)
        )
        sequences = sorted(
            quote_qualified(schema, s.name)
            for s in self.catalog.sequences.values()
            if s.schema == schema and self._lacks("sequence", schema, s.name)
        )
        functions = sorted(
            routine(f.schema, f.name, f.arguments)
            for f in self.catalog.functions.values()
            if f.schema == schema and not self._may_execute(f.path)
        )
        for kind, names in (("TABLE", tables), ("SEQUENCE", sequences), ("ROUTINE", functions)):
            if names:
                rights = ", ".join(_ALLOWED[kind.lower() if kind != "ROUTINE" else "function"])
                steps.append(Step(f"GRANT {rights} ON {kind} {', '.join(names)} TO {to}", why))
        return steps

    def _may_execute(self, path: str) -> bool:
        if self.executors is None:
            return True  # PostgreSQL's default: EXECUTE for PUBLIC
        return bool((self.grantees | {"PUBLIC"}) & self.executors.get(path, frozenset()))

    def excess(self, schema: str, service: str) -> list[Step]:
        """REVOKEs of what the role holds beyond :data:`_ALLOWED` (CREATE on the schema,
        TRIGGER, TRUNCATE, REFERENCES on tables, UPDATE on sequences), and default
        privileges that would give it the same on what comes later."""
        steps = [
            Step(
                revoke_statement(grant),
                f"service {service}'s role may only use the schema and read and write rows",
            )
            for grant in self.catalog.grants
            if grant.schema == schema
            and grant.grantee == self.role
            and grant.privilege not in _ALLOWED.get(grant.object_kind, ())
        ]
        for default in self.catalog.default_grants:
            on = _DEFAULTS_ON.get(default.object_kind)
            if (
                on is not None
                and (default.owner, default.schema, default.grantee)
                == (self.owner, schema, self.role)
                and default.privilege not in _ALLOWED[default.object_kind]
            ):
                steps.append(
                    Step(
                        f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(self.owner)} IN SCHEMA "
                        f"{quote_ident(schema)} REVOKE {default.privilege} ON {on} FROM "
                        f"{quote_ident(self.role)}",
                        f"service {service}'s role may only read and write rows",
                    )
                )
        return steps

    def defaults(self, schema: str, service: str) -> list[Step]:
        """Default privileges: what the owner creates in ``schema`` later (the migrations,
        which ``migrate`` runs as the owner) the role may use as it does what exists."""
        steps = []
        for kind, on in _DEFAULTS_ON.items():
            have = {
                d.privilege
                for d in self.catalog.default_grants
                if (d.owner, d.schema, d.object_kind, d.grantee)
                == (self.owner, schema, kind, self.role)
            }
            if not set(_ALLOWED[kind]) <= have:
                steps.append(
                    Step(
                        f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(self.owner)} IN SCHEMA "
                        f"{quote_ident(schema)} GRANT {', '.join(_ALLOWED[kind])} ON {on} TO "
                        f"{quote_ident(self.role)}",
                        f"{on.lower()} the migrations create in {schema} are usable by "
                        f"service {service}'s role",
                    )
                )
        return steps


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
            "each service's owner role (GRANT <owner> TO <you>)",
        ) from exc
    except psycopg.Error as exc:
        raise DatabaseError(f"provisioning failed, nothing was changed: {first_line(exc)}") from exc
