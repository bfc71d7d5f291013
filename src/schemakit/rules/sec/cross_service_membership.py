"""SEC004: a service role that is a member of another service's role."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident
from schemakit.rules.sec._roles import role_location, service_roles


class CrossServiceMembership(CatalogRule):
    """A service's role has another service's role's privileges through membership.

    ## What it does
    Flags each service `role` in the config that is a member of another service's role,
    directly (`GRANT billing_svc TO app_svc`) or through a chain of memberships
    (`pg_has_role(..., 'USAGE')`). Read from a live database (the replay creates the
    config's roles, so a migration's `GRANT` shows up too). The fix revokes a direct
    membership; an inherited one names the role to look at.

    ## Why is this bad?
    A member uses the other role's privileges as its own: it reads and writes that
    service's tables, and, when that role owns them, may drop or alter them. No grant on
    any table shows it, so SEC001 stays silent.

    ## Example
    ```sql
    GRANT billing_svc TO app_svc;
    ```

    ## Use instead
    ```sql
    REVOKE billing_svc FROM app_svc;
    ```

    ## Guideline
    Schema Isolation (pgSchema): "The Postgres schema acts as a namespace and as an RLS
    boundary". Severity: error.
    """

    code = "SEC004"
    name = "cross-service-membership"
    object_kind = "role"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        roles = service_roles(ctx)
        for role, service in roles.items():
            found = ctx.catalog.roles.get(role)
            if found is None:
                continue
            for other in sorted(found.privileges_of):
                owner = roles.get(other)
                if other == role or owner is None or owner == service:
                    continue
                direct = other in found.member_of
                sql = f"REVOKE {quote_ident(other)} FROM {quote_ident(role)};"
                yield self.finding(
                    f"{role}, the role of service {service}, is a member of {other}, the role "
                    f"of service {owner}{'' if direct else ' (through another role)'}",
                    f"Revoke it: {sql}"
                    if direct
                    else f"Revoke the membership that leads from {role} to {other} "
                    f"(\\du {role} lists its roles)",
                    object=role,
                    location=role_location(ctx, role),
                    fix=Fix(sql, review=f"whatever {service} does as {other} stops working")
                    if direct
                    else None,
                )
