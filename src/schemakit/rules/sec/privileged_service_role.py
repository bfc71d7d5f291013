"""SEC005: a service role with SUPERUSER, CREATEROLE, CREATEDB or BYPASSRLS."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident
from schemakit.rules.sec._roles import role_label, role_location, service_roles


class PrivilegedServiceRole(CatalogRule):
    """A service role holds an attribute that reaches past its own schema.

    ## What it does
    Flags each service role in the config (the login-through `role` and the owner role,
    `owner-role` or by default `<role>_owner`) that has `SUPERUSER`, `CREATEROLE`,
    `CREATEDB` or `BYPASSRLS`, one finding per role naming them. Read from a live
    database (the replay creates the config's roles, so a migration's `ALTER ROLE`
    shows up too). The fix takes the attributes away.

    ## Why is this bad?
    A superuser ignores every privilege: the schema is no boundary for it. `CREATEROLE`
    can grant itself membership in other roles (another service's among them),
    `BYPASSRLS` ignores every row-level policy, `CREATEDB` creates databases the
    platform does not know. A service needs none of them to read and write its rows.

    ## Example
    ```sql
    ALTER ROLE app_svc SUPERUSER;
    ```

    ## Use instead
    ```sql
    ALTER ROLE app_svc NOSUPERUSER;
    ```

    ## Guideline
    Schema Isolation (pgSchema): "The Postgres schema acts as a namespace and as an RLS
    boundary". Severity: error.
    """

    code = "SEC005"
    name = "privileged-service-role"
    object_kind = "role"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for role, service in service_roles(ctx).items():
            found = ctx.catalog.roles.get(role)
            if found is None:
                continue
            held = [
                word
                for word, on in (
                    ("SUPERUSER", found.superuser),
                    ("CREATEROLE", found.createrole),
                    ("CREATEDB", found.createdb),
                    ("BYPASSRLS", found.bypassrls),
                )
                if on
            ]
            if not held:
                continue
            sql = f"ALTER ROLE {quote_ident(role)} {' '.join('NO' + w for w in held)};"
            yield self.finding(
                f"{role_label(ctx, role)}, has {', '.join(held)}",
                f"Take it away: {sql}",
                object=role,
                location=role_location(ctx, role),
                fix=Fix(sql, review=f"whatever {service} did with {', '.join(held)} stops working"),
            )
