"""ISO007: an object created or owned by one service inside another service's schema."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding


class ObjectInForeignSchema(CatalogRule):
    """Object of one service inside another service's schema.

    ## What it does
    Flags a table, type, sequence or function that lives in schema B although it belongs to
    service A. An object belongs to the service whose migrations created it (when linting
    migrations) or whose `role` owns it (when auditing a live database).

    ## Why is this bad?
    Service B's migrations and pushes do not know the object and may drop it; service B's
    role boundary now covers data that service A writes. The schema stops being a boundary.

    ## Example
    ```sql
    -- in services/credits/migrations/0002.sql
    CREATE TABLE auth.credit_holds (...);
    ```

    ## Use instead
    ```sql
    CREATE TABLE credits.credit_holds (...);
    ```

    ## Guideline
    Schema Isolation (pgSchema): tables "coexist cleanly" only while each stays in its
    own service's schema.
    """

    code = "ISO007"
    name = "object-in-foreign-schema"
    object_kind = "table"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        catalog = ctx.catalog
        objects = [
            *((t.kind, t.schema, t.path, t.owner) for t in catalog.tables.values()),
            *(("type", t.schema, t.path, t.owner) for t in catalog.types.values()),
            *(
                ("sequence", s.schema, s.path, s.owner)
                for s in catalog.sequences.values()
                if s.owned_by is None
            ),
            *(("function", f.schema, f.path, f.owner) for f in catalog.functions.values()),
        ]
        owners = ctx.owners
        for kind, schema, path, role in objects:
            schema_services = owners.get(schema)
            if not schema_services:
                continue
            service = ctx.service_of(path, role)
            if service is None or service in schema_services:
                continue
            yield self.finding(
                f"{kind.capitalize()} {path} belongs to service {service} but lives in "
                f"schema {schema} of service {schema_services[0]}",
                f"Create it in a schema of service {service} instead.",
                object=path,
                kind=kind,
                service=service,
            )
