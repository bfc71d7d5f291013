"""ISO009: a schema a service registers is missing from its database."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding


class MissingServiceSchema(CatalogRule):
    """Schema registered for a service is missing from its database.

    ## What it does
    Flags each schema a service lists in the config that does not exist in the service's
    database: when linting migrations, none of them creates it; when auditing a database,
    it was never created there.

    ## Why is this bad?
    On the origin platform a service's schema was never created on fresh deploys, so its
    first query failed in production with `relation does not exist` (HTTP 500). Migrations
    that assume the schema exists only work on databases someone prepared by hand.

    ## Example
    ```sql
    -- 0000_init.sql of a service registering schema "mail"
    CREATE TABLE mail.messages (...);  -- fails on a fresh database
    ```

    ## Use instead
    ```sql
    CREATE SCHEMA IF NOT EXISTS mail;
    CREATE TABLE mail.messages (...);
    ```

    ## Guideline
    Schema Isolation (pgSchema); Migrations, "Migrations run BEFORE code deployment".
    """

    code = "ISO009"
    name = "missing-service-schema"
    object_kind = "schema"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for service in ctx.config.services_in(ctx.database):
            for schema in service.schemas:
                if schema in ctx.catalog.schemas:
                    continue
                yield self.finding(
                    f"Schema {schema} of service {service.name} does not exist in "
                    f"database {ctx.database}",
                    f"Create it in the service's first migration: CREATE SCHEMA IF NOT EXISTS {schema};",
                    object=schema,
                    service=service.name,
                    location=ctx.config_location(f"services.{service.name}]"),
                )
