"""What the role-aware SEC rules share: which role belongs to which service."""

from __future__ import annotations

from schemakit.rules._base import CatalogContext, Location


def service_roles(ctx: CatalogContext) -> dict[str, str]:
    """Each configured service role of this database and its service (the first one, when
    services share a role: sharing is not a crossing)."""
    roles: dict[str, str] = {}
    for service in ctx.config.services_in(ctx.database):
        if service.role:
            roles.setdefault(service.role, service.name)
    return roles


def role_location(ctx: CatalogContext, role: str) -> Location | None:
    """The config line that names ``role``: what to change is there or in the database."""
    return ctx.config_location(f'role = "{role}"')
