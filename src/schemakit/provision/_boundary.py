"""What provisioning refuses, and what it takes away: the service boundary's checks before
anything runs, and the REVOKEs for what crosses it (grants to another service's roles or
PUBLIC, memberships between service roles, default privileges that hand on later objects).

A service has two roles (its ``role``, which logins are granted, and its owner role): both
count as the service's roles here."""

from __future__ import annotations

from schemakit.catalog import Catalog, Grant
from schemakit.config import Config, Service
from schemakit.conventions import quote_ident, quote_qualified
from schemakit.errors import ConfigError, SchemakitError

__all__ = ["check_boundary", "check_claims", "crossings", "revoke_statement", "service_roles"]

# A service role needs none of these to read and write its rows; each reaches past its schema.
_ATTRIBUTES = ("SUPERUSER", "CREATEROLE", "BYPASSRLS")

# DefaultGrant.object_kind -> the word ALTER DEFAULT PRIVILEGES takes
_DEFAULT_ON = {"table": "TABLES", "sequence": "SEQUENCES", "function": "FUNCTIONS"}


def service_roles(config: Config, database: str) -> dict[str, str]:
    """role name -> the service it belongs to: each service's role and its owner role."""
    roles: dict[str, str] = {}
    for service in config.services_in(database):
        for role in (service.role, service.owner_role):
            if role is not None:
                roles.setdefault(role, service.name)
    return roles


def check_claims(config: Config, database: str) -> None:
    """Refuse a config whose services share a schema or a role: read from the config
    alone, so before any connection is made."""
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
    held: dict[str, str] = {}
    for service in config.services_in(database):
        for key, role in (("role", service.role), ("owner-role", service.owner_role)):
            if role is None:
                continue
            first = held.setdefault(role, service.name)
            if first != service.name:
                raise ConfigError(
                    f"role {role} belongs to two services, {first} and {service.name}; "
                    "nothing was changed",
                    path=config.path,
                    key=f"services.{service.name}.{key}",
                    hint="each service gets its own role and owner role",
                )


def check_boundary(catalog: Catalog, config: Config, database: str) -> None:
    """Refuse, before anything runs, a config whose services share a schema and a database
    whose service roles (login-through or owner) hold an attribute no privilege can bound."""
    check_claims(config, database)
    for service in config.services_in(database):
        _refuse_attributes(catalog, service)


def _refuse_attributes(catalog: Catalog, service: Service) -> None:
    for what, role in (("role", service.role), ("owner role", service.owner_role)):
        found = catalog.roles.get(role) if role else None
        if found is None:
            continue
        flags = (found.superuser, found.createrole, found.bypassrls)
        held = [word for word, on in zip(_ATTRIBUTES, flags, strict=True) if on]
        if held:
            raise SchemakitError(
                f"{found.name}, the {what} of service {service.name}, has {', '.join(held)}: "
                "no privilege bounds it, so provisioning would draw a boundary it can step "
                "over; nothing was changed",
                hint=f"take it away first (ALTER ROLE {quote_ident(found.name)} "
                f"{' '.join('NO' + w for w in held)}), then run provision again",
            )


def crossings(catalog: Catalog, config: Config, database: str) -> list[tuple[str, str]]:
    """(statement, why) for each thing that crosses the boundary between services."""
    services = config.services_in(database)
    role_of = service_roles(config, database)
    owner_of = {schema: s.name for s in services for schema in s.schemas}
    foreign = _foreign_grants(catalog, config, database)
    steps = [_revoke(grant, service) for grant, service in foreign]
    for role, service in sorted(role_of.items()):
        found = catalog.roles.get(role)
        for other in sorted(found.member_of if found else ()):
            if role_of.get(other, service) != service:
                steps.append(
                    (
                        f"REVOKE {quote_ident(other)} FROM {quote_ident(role)}",
                        f"service {service}'s role {role} is a member of service "
                        f"{role_of[other]}'s role {other}",
                    )
                )
    # a login-through role that may act as its owner could create, alter and drop
    for each in services:
        login = catalog.roles.get(each.role) if each.role else None
        if login is not None and each.owner_role and each.owner_role in login.member_of:
            steps.append(
                (
                    f"REVOKE {quote_ident(each.owner_role)} FROM {quote_ident(login.name)}",
                    f"service {each.name}'s role {login.name} could SET ROLE to its owner "
                    f"role {each.owner_role}",
                )
            )
    for default in catalog.default_grants:
        of = owner_of.get(default.schema)
        theirs = role_of.get(default.grantee)
        if of is None or default.object_kind not in _DEFAULT_ON:
            continue
        if theirs is None or theirs == of:
            continue
        steps.append(
            (
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(default.owner)} IN SCHEMA "
                f"{quote_ident(default.schema)} REVOKE {default.privilege} ON "
                f"{_DEFAULT_ON[default.object_kind]} FROM {quote_ident(default.grantee)}",
                f"what {default.owner} creates in {default.schema} would be granted to "
                f"service {theirs}'s role {default.grantee}",
            )
        )
    return steps


def _foreign_grants(catalog: Catalog, config: Config, database: str) -> list[tuple[Grant, str]]:
    """(grant, service) for each grant on a service's objects to PUBLIC or to another
    service's role."""
    role_of = service_roles(config, database)
    owner_of = {schema: s.name for s in config.services_in(database) for schema in s.schemas}
    found: list[tuple[Grant, str]] = []
    for grant in catalog.grants:
        service = owner_of.get(grant.schema)
        if service is None:
            continue
        other = role_of.get(grant.grantee)
        if grant.grantee != "PUBLIC" and (other is None or other == service):
            continue
        if grant.object_kind == "schema" and grant.grantee == "PUBLIC":
            continue  # the plan revokes ALL on the schema from PUBLIC already
        found.append((grant, service))
    return found


def _revoke(grant: Grant, service: str) -> tuple[str, str]:
    statement = revoke_statement(grant)
    path = grant.schema if grant.name is None else f"{grant.schema}.{grant.name}"
    return (
        statement,
        f"{grant.grantee} is not service {service}'s role but holds {grant.privilege} on {path}",
    )


def revoke_statement(grant: Grant) -> str:
    """``REVOKE privilege ON object FROM grantee`` undoing one catalog Grant."""
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
    return f"REVOKE {right} ON {target} FROM {who}"
