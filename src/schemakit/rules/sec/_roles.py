"""What the role-aware SEC rules share: which role belongs to which service, and who should
own what a service's schema holds."""

from __future__ import annotations

from schemakit.rules._base import CatalogContext, Location


def service_roles(ctx: CatalogContext) -> dict[str, str]:
    """Each configured service role of this database, the login-through ``role`` and the
    ``owner-role`` alike, and its service (the first one, when services share a role:
    ``shared_roles`` reports that)."""
    roles: dict[str, str] = {}
    for service in ctx.config.services_in(ctx.database):
        for role in (service.role, service.owner_role):
            if role:
                roles.setdefault(role, service.name)
    return roles


def shared_roles(ctx: CatalogContext) -> dict[str, list[str]]:
    """Each role the config gives to more than one service, and those services."""
    services: dict[str, list[str]] = {}
    for service in ctx.config.services_in(ctx.database):
        for role in {service.role, service.owner_role} - {None}:
            services.setdefault(str(role), []).append(service.name)
    return {role: names for role, names in services.items() if len(names) > 1}


def role_label(ctx: CatalogContext, role: str) -> str:
    """``app_svc, the role of service app`` or ``..., the owner role of service app``."""
    for service in ctx.config.services_in(ctx.database):
        if role == service.role:
            return f"{role}, the role of service {service.name}"
        if role == service.owner_role:
            return f"{role}, the owner role of service {service.name}"
    return role


def role_location(ctx: CatalogContext, role: str) -> Location | None:
    """The config line that names ``role`` (an owner role by default has none of its own:
    then the line of the role it is named after)."""
    for service in ctx.config.services_in(ctx.database):
        if role == service.owner_role and service.role:
            if ctx.config.line_of(f'owner-role = "{role}"'):
                return ctx.config_location(f'owner-role = "{role}"')
            return ctx.config_location(f'role = "{service.role}"')
    return ctx.config_location(f'role = "{role}"')


def replayed(ctx: CatalogContext) -> bool:
    """Whether the catalog is a replay of the migrations (which knows who created each
    object), not a live database. The replay runs every migration as the superuser that
    reads it, where ``migrate`` runs them as each service's owner role."""
    return ctx.creator is not _NO_CREATOR


_NO_CREATOR = CatalogContext.__dataclass_fields__["creator"].default


def expected_owner(ctx: CatalogContext, schema: str) -> tuple[str, frozenset[str]] | None:
    """Who should own ``schema`` and everything in it, and the owners that pass: None for a
    schema of no service.

    A service with roles: its owner role. Until that role exists (a database provisioned
    before owner roles), the one-role arrangement it was provisioned with passes: the
    service's ``role`` or the role that reads the catalog (which ran the migrations), and
    objects are handed to ``role``. A service without roles: the schema's owner. In a
    replay of the migrations the superuser that runs them stands in for the owner."""
    catalog = ctx.catalog
    for service in ctx.config.services_in(ctx.database):
        if schema not in service.schemas:
            continue
        if service.owner_role and service.role:
            if service.owner_role in catalog.roles:
                target, accepted = service.owner_role, {service.owner_role}
            else:
                target, accepted = service.role, {service.role, catalog.user}
        else:
            found = catalog.schemas.get(schema)
            if found is None or found.owner is None:
                return None
            target, accepted = found.owner, {found.owner}
        if replayed(ctx):
            accepted.add(catalog.user)
        return target, frozenset(accepted)
    return None
