"""SEC001: a privilege on one service's schema or tables held by another service's role."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.catalog import Grant
from schemakit.conventions import quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident


class CrossServiceAccess(CatalogRule):
    """Another service's role, or PUBLIC, holds privileges in a service's schema.

    ## What it does
    Flags privileges granted on a service's schema, or on a table, view, sequence or
    column in it,
    to the `role` of another service in the config, or to `PUBLIC` (every role). One
    finding per grantee and object, listing the privileges. Grants to roles the config does
    not name (an analytics reader, a support role) are left alone; so are `public` and the
    tool schemas. Read from a live database, or from the grants the migrations make; a
    finding points at the statement that created the object (the grant may be later).

    ## Why is this bad?
    The schema is meant to be the service's boundary ("an RLS boundary", in the
    guideline's words): only its own code reads and writes it. A grant to another
    service's role lets that service depend on tables it does not own, so they can no
    longer change on their own, and a compromised service reaches data that is not its.
    `PUBLIC` means every role on the server, present and future.

    ## Example
    ```sql
    GRANT USAGE ON SCHEMA credits TO auth_service;
    GRANT SELECT ON credits.balances TO auth_service;
    ```

    ## Use instead
    Ask the owning service through its API, or, for a deliberate read path, grant to a
    role of its own (not another service's) and name it in per-object-ignores.

    ## Guideline
    Schema Isolation (pgSchema): "The Postgres schema acts as a namespace and as an RLS
    boundary". Severity: error.
    """

    code = "SEC001"
    name = "cross-service-access"
    object_kind = "table"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        owners = ctx.owners
        roles = {s.role: s.name for s in ctx.config.services_in(ctx.database) if s.role}
        held: dict[tuple[str, str, str], list[Grant]] = {}
        for grant in ctx.catalog.grants:
            schema_services = owners.get(grant.schema)
            if not schema_services or ctx.is_ignored_schema(grant.schema):
                continue
            other = roles.get(grant.grantee)
            if grant.grantee != "PUBLIC" and (other is None or other in schema_services):
                continue
            path = grant.schema if grant.name is None else f"{grant.schema}.{grant.name}"
            held.setdefault((grant.grantee, grant.object_kind, path), []).append(grant)
        for (grantee, kind, path), grants in held.items():
            owner = owners[grants[0].schema][0]
            privileges = ", ".join(sorted({g.privilege for g in grants}))
            who = (
                "PUBLIC (every role)"
                if grantee == "PUBLIC"
                else f"{grantee}, the role of service {roles[grantee]},"
            )
            if kind == "schema":
                target = f"SCHEMA {quote_ident(path)}"
            elif kind == "column":
                table, column = path.rsplit(".", 1)
                privileges = f"{privileges} ({quote_ident(column)})"
                target = quote_qualified(*table.split(".", 1))
            else:
                prefix = "SEQUENCE " if kind == "sequence" else ""
                target = prefix + quote_qualified(*path.split(".", 1))
            grantee_sql = "PUBLIC" if grantee == "PUBLIC" else quote_ident(grantee)
            yield self.finding(
                f"{who} holds {privileges} on {kind} {path} of service {owner}",
                f"Revoke it: REVOKE {privileges} ON {target} FROM {grantee_sql};",
                object=path,
                kind=kind,
                fix=Fix(
                    f"REVOKE {privileges} ON {target} FROM {grantee_sql};",
                    review=f"whatever {grantee} does with {path} stops working",
                ),
            )
