"""ISO006: one schema registered by two or more services."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding


class SchemaClaimedTwice(CatalogRule):
    """Schema registered by two or more services.

    ## What it does
    Flags a schema that more than one service of the same database lists under `schemas`.

    ## Why is this bad?
    Each service's tooling believes it owns the whole schema. On the origin platform two
    services shared `research`, and one service's `drizzle-kit push --force` planned to drop
    the other service's tables, because they were not in its model.

    ## Example
    ```toml
    [services.research-api]
    schemas = ["research"]
    [services.research-worker]
    schemas = ["research"]
    ```

    ## Use instead
    Give each service its own schema (`research`, `research_jobs`), or make one service the
    owner and let the other read through grants.

    ## Guideline
    Schema Isolation (pgSchema): "every service ... MUST namespace its tables under its own
    PostgreSQL schema".
    """

    code = "ISO006"
    name = "schema-claimed-twice"
    object_kind = "schema"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for schema, services in ctx.owners.items():
            if len(services) < 2:
                continue
            second = services[1]
            yield self.finding(
                f"Schema {schema} is claimed by services {', '.join(services)}",
                "Give each service its own schema; one schema, one owner.",
                object=schema,
                location=ctx.config_location(f"services.{second}]"),
            )
