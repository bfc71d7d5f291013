"""SEC003: a user-owned table without row-level security (preview: opt in by code)."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class UserTableWithoutRls(CatalogRule):
    """User-owned table without row-level security.

    ## What it does
    Flags a table with a `user_id` column (or another configured `text-id-columns` name)
    whose row-level security is off. A preview rule: it runs only when selected by its
    code (`extend-select = ["SEC003"]`), for platforms that enforce per-user access in the
    database. A table a service names in `row-security` is flagged whatever its columns.
    Partitions (their parent is checked), views and tool schemas are skipped.

    ## Why is this bad?
    Without RLS, the one `WHERE user_id = $1` every query must remember is the only thing
    between one user and another's rows; a forgotten filter leaks them. With a policy the
    database applies it to every query of the service's role.

    ## Example
    ```sql
    CREATE TABLE storage.files (id uuid PRIMARY KEY, user_id text NOT NULL);
    ```

    ## Use instead
    ```sql
    ALTER TABLE storage.files ENABLE ROW LEVEL SECURITY;
    CREATE POLICY files_owner ON storage.files
        USING (user_id = current_setting('app.user_id'));
    ```

    ## Guideline
    Schema Isolation (pgSchema): "The Postgres schema acts as a namespace and as an RLS
    boundary". Severity: warning.
    """

    code = "SEC003"
    name = "user-table-without-rls"
    object_kind = "table"
    severity = Severity.WARNING
    status = "preview"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        names = ctx.text_id_columns
        named = _named_for_row_security(ctx)
        for table in checked_tables(ctx):
            if table.row_security:
                continue
            service = named.get(table.path)
            if service is not None:
                yield self.finding(
                    f"Table {table.path} is in row-security of service {service} but its "
                    "row-level security is off",
                    "Run schemakit provision: it enables and forces it, with a policy on "
                    "user_id = app.user_id",
                    object=table.path,
                )
                continue
            if not any(c.name in names for c in table.columns):
                continue
            yield self.finding(
                f"Table {table.path} holds users' rows but row-level security is off",
                "Enable it with a policy on the owner column: ALTER TABLE "
                f"{quote_qualified(table.schema, table.name)} ENABLE ROW LEVEL "
                "SECURITY; CREATE POLICY ... (enabling it with no policy locks every other "
                "role out of the table)",
                object=table.path,
            )


def _named_for_row_security(ctx: CatalogContext) -> dict[str, str]:
    """``schema.table`` -> service, for the tables the config's ``row-security`` names."""
    return {
        f"{schema}.{name}": service.name
        for service in ctx.config.services_in(ctx.database)
        for schema, name in service.row_security_paths
    }
