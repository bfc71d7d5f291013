"""What provisioning refuses, and what it takes away: the service boundary's checks before
anything runs, and the REVOKEs for what crosses it (grants to another service's role or
PUBLIC, memberships between service roles, default privileges that hand on later objects)."""

from __future__ import annotations

from schemakit.catalog import Catalog
from schemakit.config import Config
from schemakit.conventions import quote_ident, quote_qualified
from schemakit.errors import ConfigError, SchemakitError

__all__ = ["check_boundary", "crossings"]

# A service role needs none of these to read and write its rows; each reaches past its schema.
_ATTRIBUTES = ("SUPERUSER", "CREATEROLE", "BYPASSRLS")

# DefaultGrant.object_kind -> the word ALTER DEFAULT PRIVILEGES takes
_DEFAULT_ON = {"table": "TABLES", "sequence": "SEQUENCES", "function": "FUNCTIONS"}


def check_boundary(catalog: Catalog, config: Config, database: str) -> None:
    """Refuse, before anything runs, a config whose services share a schema and a database
    whose service roles hold an attribute no privilege can bound."""
    claimed: dict[str, str] = {}
    for service in config.services_in(database):
        for schema in service.schemas:
            first = claimed.setdefault(schema, service.name)
            if first != service.name:
                raise ConfigError(
                    f"schema {schema} is claimed by two services, {first} and {service.name}; "
                    "nothing was changed",
                    path=config.path,
                    hint="a schema belongs to one service: give one of them another schema",
                )
    for service in config.services_in(database):
        found = catalog.roles.get(service.role) if service.role else None
        if found is None:
            continue
        held = [
            word
            for word, on in zip(
                _ATTRIBUTES, (found.superuser, found.createrole, found.bypassrls), strict=True
            )
            if on
        ]
        if held:
            raise SchemakitError(
                f"{found.name}, the role of service {service.name}, has {', '.join(held)}: no "
                "privilege bounds it, so provisioning would draw a boundary it can step over; "
                "nothing was changed",
                hint=f"take it away first (ALTER ROLE {quote_ident(found.name)} "
                f"{' '.join('NO' + w for w in held)}), then run provision again",
            )


def crossings(catalog: Catalog, config: Config, database: str) -> list[tuple[str, str]]:
    """(statement, why) for each thing that crosses the boundary between services."""
    services = config.services_in(database)
    role_of = {s.role: s.name for s in services if s.role}
    owner_of = {schema: s.name for s in services for schema in s.schemas}
    steps: list[tuple[str, str]] = []
    for grant in catalog.grants:
        service = owner_of.get(grant.schema)
        if service is None:
            continue
        other = role_of.get(grant.grantee)
        if grant.grantee != "PUBLIC" and (other is None or other == service):
            continue
        if grant.object_kind == "schema" and grant.grantee == "PUBLIC":
            continue  # the plan revokes ALL on the schema from PUBLIC already
        who = "PUBLIC" if grant.grantee == "PUBLIC" else quote_ident(grant.grantee)
        right = grant.privilege
        if grant.object_kind == "schema":
            target = f"SCHEMA {quote_ident(grant.schema)}"
        elif grant.object_kind == "column":
            table, column = (grant.name or "").rsplit(".", 1)
            right = f"{right} ({quote_ident(column)})"
            target = quote_qualified(grant.schema, table)
        else:
            kind = "SEQUENCE " if grant.object_kind == "sequence" else "TABLE "
            target = kind + quote_qualified(grant.schema, grant.name or "")
        path = grant.schema if grant.name is None else f"{grant.schema}.{grant.name}"
        steps.append(
            (
                f"REVOKE {right} ON {target} FROM {who}",
                f"{grant.grantee} is not service {service}'s role but holds {grant.privilege} "
                f"on {path}",
            )
        )
    for role, service in sorted(role_of.items()):
        found = catalog.roles.get(role)
        for other in sorted(found.member_of if found else ()):
            if role_of.get(other, service) != service:
                steps.append(
                    (
                        f"REVOKE {quote_ident(other)} FROM {quote_ident(role)}",
                        f"service {service}'s role is a member of service {role_of[other]}'s role",
                    )
                )
    for default in catalog.default_grants:
        service = owner_of.get(default.schema)
        other = role_of.get(default.grantee)
        if service is None or default.object_kind not in _DEFAULT_ON:
            continue
        if other is None or other == service:
            continue
        steps.append(
            (
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(default.owner)} IN SCHEMA "
                f"{quote_ident(default.schema)} REVOKE {default.privilege} ON "
                f"{_DEFAULT_ON[default.object_kind]} FROM {quote_ident(default.grantee)}",
                f"what {default.owner} creates in {default.schema} would be granted to "
                f"service {other}'s role",
            )
        )
    return steps
