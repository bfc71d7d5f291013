"""SEC004: a service role that is a member of another service's role, or of its own owner."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident
from schemakit.rules.sec._roles import role_label, role_location, service_roles, shared_roles


class CrossServiceMembership(CatalogRule):
    """A service's role has another service's privileges, or its own owner's.

    ## What it does
    Flags each service role in the config (the login-through `role` and the `owner-role`)
    that is a member of another service's role, directly (`GRANT billing_svc TO app_svc`)
    or through a chain of memberships (`pg_has_role(..., 'USAGE')`; for a superuser, which
    that counts as a member of every role, its direct ones only); a `role` that is a
    member of its own service's owner role; and a role the config gives to two services.
    Read from a live database (the replay creates the config's roles, so a migration's
    `GRANT` shows up too). The fix revokes a direct membership; an inherited one names the
    role to look at; a shared role is the config's to change.

    ## Why is this bad?
    A member uses the other role's privileges as its own: it reads and writes that
    service's tables and, through an owner role, may drop or alter them, put triggers on
    them, `SET ROLE` to the owner. No grant on any table shows it, so SEC001 stays silent.
    One role for two services is the same crossing, made in the config.

    ## Example
    ```sql
    GRANT billing_svc TO app_svc;
    GRANT app_svc_owner TO app_svc;
    ```

    ## Use instead
    ```sql
    REVOKE billing_svc FROM app_svc;
    REVOKE app_svc_owner FROM app_svc;
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
        for role, services in shared_roles(ctx).items():
            listed = " and ".join(services)
            yield self.finding(
                f"{role} is the role of services {listed}: each has the other's privileges",
                "Give each service its own role in the config, then run schemakit provision",
                object=role,
                location=role_location(ctx, role),
            )
        roles = service_roles(ctx)
        owner_of = {s.role: s.owner_role for s in ctx.config.services_in(ctx.database) if s.role}
        for role, service in roles.items():
            found = ctx.catalog.roles.get(role)
            if found is None:
                continue
            # pg_has_role says a superuser has every role's privileges: SEC005 reports the
            # superuser, here only its own memberships count
            held = found.member_of if found.superuser else found.privileges_of
            for other in sorted(held):
                owner = roles.get(other)
                if other == role or owner is None:
                    continue
                if owner == service and other != owner_of.get(role):
                    continue  # a service's owner may use its own login-through role's rights
                direct = other in found.member_of
                sql = f"REVOKE {quote_ident(other)} FROM {quote_ident(role)};"
                yield self.finding(
                    f"{role_label(ctx, role)}, is a member of {role_label(ctx, other)}"
                    f"{'' if direct else ' (through another role)'}",
                    f"Revoke it: {sql}"
                    if direct
                    else f"Revoke the membership that leads from {role} to {other} "
                    f"(\\du {role} lists its roles)",
                    object=role,
                    location=role_location(ctx, role),
                    fix=Fix(sql, review=f"whatever {role} does as {other} stops working")
                    if direct
                    else None,
                )
